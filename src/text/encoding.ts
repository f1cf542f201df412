/** The encodings a secret travels in, and back: used to send it and to recognise it when echoed. */

/** A value encoded as `application/x-www-form-urlencoded`, exactly as URLSearchParams writes it. */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

/** Decodes each run of valid %XX escapes, leaving stray '%' signs and invalid sequences as they are. */
export function percentDecode(text: string): string {
  return text.replace(/(%[0-9A-Fa-f]{2})+/g, run => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}
