/**
 * One HTTP(S) GET or HEAD with what downloads from the Hub and package feeds
 * need and Node's fetch does not give: proxies (CONNECT for https, absolute
 * URLs for http), an idle timeout on the body, and redirects followed by hand
 * so the Authorization header never follows a redirect to another host (the
 * Hub redirects file downloads to a CDN with a signed URL, as huggingface_hub
 * knows). Response bodies are streams: the caller decides where bytes go.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import { describeProxy, proxyFor, type ProxySettings } from './proxy';

export interface HttpRequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal;
  proxy?: ProxySettings;
  /** ms of silence (connecting, waiting for headers, or between body bytes) before the connection counts as dropped */
  idleMs?: number;
  maxRedirects?: number;
  /** extra TLS options, e.g. a private CA for a mirror (tests use one) */
  tls?: tls.ConnectionOptions;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** headers of the first answer: the Hub sends X-Repo-Commit and X-Linked-Etag on the redirect to its CDN */
  firstHeaders: http.IncomingHttpHeaders;
  /** the URL that answered, after redirects */
  url: URL;
  body: http.IncomingMessage;
}

/**
 * The connection failed or dropped (refused, reset, timed out, closed early):
 * worth retrying. `message` names the host, never a token or a signed URL's query.
 */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_IDLE_MS = 30_000;

export function isLoopback(u: URL): boolean {
  const h = u.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

function defaultPort(u: URL): number {
  return Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
}

/** "ECONNRESET from cdn.example.org" style text, without paths or queries */
function describeSocketError(e: unknown, target: URL, proxy?: URL): NetworkError {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ?? 'ENETWORK';
  const where = proxy ? `${target.host} through the proxy ${describeProxy(proxy)}` : target.host;
  const what: Record<string, string> = {
    ECONNREFUSED: 'the connection was refused by',
    ECONNRESET: 'the connection was reset by',
    ETIMEDOUT: 'no answer in time from',
    ENOTFOUND: 'the name could not be resolved:',
    EAI_AGAIN: 'the name could not be resolved (temporary DNS failure):',
    EPIPE: 'the connection was closed by',
    ECONNABORTED: 'the connection was closed early by',
    ERR_STREAM_PREMATURE_CLOSE: 'the connection was closed early by',
    EPROXY: 'the proxy refused the connection to',
  };
  const certificate = /CERT|SSL|TLS|SELF_SIGNED/.test(code);
  const text = certificate ? `the TLS certificate of ${where} was not accepted (${code})` : `${what[code] ?? `network error (${code}) with`} ${where}`;
  return new NetworkError(text, code);
}

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const creds = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(creds).toString('base64')}` };
}

/** Opens a CONNECT tunnel through an http(s) proxy to target's host and port. */
function tunnel(proxy: URL, target: URL, opts: HttpRequestOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const hostPort = `${target.hostname}:${defaultPort(target)}`;
    const lib = proxy.protocol === 'https:' ? https : http;
    const req = lib.request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: defaultPort(proxy),
      method: 'CONNECT',
      path: hostPort,
      headers: { host: hostPort, ...proxyAuthorization(proxy) },
      signal: opts.signal,
      ...(proxy.protocol === 'https:' ? opts.tls : {}),
    });
    req.setTimeout(opts.idleMs ?? DEFAULT_IDLE_MS, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.once('connect', (res, socket) => {
      req.setTimeout(0);
      if (res.statusCode === 200) resolve(socket);
      else {
        socket.destroy();
        reject(new NetworkError(`the proxy ${describeProxy(proxy)} refused the connection to ${target.host} (HTTP ${res.statusCode}${res.statusCode === 407 ? ': proxy authentication required' : ''})`, 'EPROXY'));
      }
    });
    req.once('error', (e) => reject(e instanceof NetworkError ? e : describeSocketError(e, target, proxy)));
    req.end();
  });
}

/** One request, no redirects. */
async function requestOnce(url: URL, headers: Record<string, string>, opts: HttpRequestOptions): Promise<http.IncomingMessage> {
  const proxy = opts.proxy ? proxyFor(url, opts.proxy) : undefined;
  const base: http.RequestOptions = { method: opts.method ?? 'GET', headers: { ...headers }, signal: opts.signal };
  let req: http.ClientRequest;
  if (proxy && url.protocol === 'https:') {
    const socket = await tunnel(proxy, url, opts);
    const servername = net.isIP(url.hostname.replace(/^\[|\]$/g, '')) ? undefined : url.hostname;
    req = https.request(url, { ...base, createConnection: () => tls.connect({ ...opts.tls, socket, servername }) });
  } else if (proxy) {
    // plain http through a proxy: the absolute URL goes in the request line
    req = http.request({
      ...base,
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: defaultPort(proxy),
      path: url.href,
      headers: { ...base.headers, host: url.host, ...proxyAuthorization(proxy) },
    });
  } else {
    req = (url.protocol === 'https:' ? https : http).request(url, { ...base, ...(url.protocol === 'https:' ? opts.tls : {}) });
  }
  return new Promise((resolve, reject) => {
    const idle = opts.idleMs ?? DEFAULT_IDLE_MS;
    // a socket timeout covers connecting, waiting for headers and every pause in the body
    req.setTimeout(idle, () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.once('response', resolve);
    req.once('error', (e) => reject((e as Error).name === 'AbortError' ? e : describeSocketError(e, url, proxy)));
    req.end();
  });
}

/**
 * GET (or HEAD) with redirects followed. Authorization is sent only to the
 * origin of the first URL: once a redirect leaves it, the header is dropped for
 * good. An https URL never redirects to plain http except on this machine.
 */
export async function httpRequest(url: string | URL, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  const origin = new URL(url);
  let current = new URL(url);
  let headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  let firstHeaders: http.IncomingHttpHeaders | undefined;
  const max = opts.maxRedirects ?? 10;
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(current, headers, opts);
    firstHeaders ??= res.headers;
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) {
      return { status: res.statusCode ?? 0, headers: res.headers, firstHeaders, url: current, body: res };
    }
    res.resume();
    if (hop >= max) throw new NetworkError(`${origin.host} redirected more than ${max} times`, 'EREDIRECTS');
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new NetworkError(`${current.host} redirected to an unsupported address (${next.protocol})`, 'EREDIRECT');
    if (current.protocol === 'https:' && next.protocol === 'http:' && !isLoopback(next)) {
      throw new NetworkError(`${current.host} redirected to an unencrypted address (${next.host}); refused`, 'EREDIRECT');
    }
    if (next.origin !== origin.origin && headers.authorization) {
      headers = { ...headers };
      delete headers.authorization;
    }
    current = next;
  }
}

/** Reads a (small) response body, with a size limit, undoing gzip or deflate (NuGet serves some JSON gzipped). */
export async function readBody(res: HttpResponse, limit = 32 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body) {
    n += (chunk as Buffer).length;
    if (n > limit) {
      res.body.destroy();
      throw new NetworkError(`${res.url.host} sent more than ${Math.round(limit / 1048576)} MB where a small answer was expected`, 'ETOOBIG');
    }
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  const encoding = String(res.headers['content-encoding'] ?? 'identity').toLowerCase();
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.gunzipSync(raw, { maxOutputLength: limit });
    if (encoding === 'deflate') return zlib.inflateSync(raw, { maxOutputLength: limit });
    if (encoding === 'br') return zlib.brotliDecompressSync(raw, { maxOutputLength: limit });
  } catch {
    throw new NetworkError(`${res.url.host} sent a ${encoding} answer that does not decompress`, 'EDECODE');
  }
  return raw;
}
