/** Replaces every occurrence of each secret in `text` with `***`, as the runner's log masking does. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => (secret ? out.split(secret).join('***') : out), text)
}
