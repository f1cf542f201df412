// The part of `tunnel` (the CONNECT agent @actions/http-client depends on) that attempt-connections.ts uses.
declare module 'tunnel' {
  import type { ClientRequest, RequestOptions } from 'node:http'

  export interface TunnelOptions {
    maxSockets?: number
    proxy: { host: string; port: number }
  }

  /** Issues the CONNECT with `request`, and makes each tunnel's TLS socket from `options`. */
  export interface TunnelingAgent {
    options: Record<string, unknown>
    proxyOptions: { host: string; port: number }
    request: (options: RequestOptions) => ClientRequest
  }

  export function httpOverHttp(options: TunnelOptions): TunnelingAgent
  export function httpsOverHttp(options: TunnelOptions): TunnelingAgent
  export function httpOverHttps(options: TunnelOptions): TunnelingAgent
  export function httpsOverHttps(options: TunnelOptions): TunnelingAgent
}
