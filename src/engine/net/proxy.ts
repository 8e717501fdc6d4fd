/**
 * Which proxy a download goes through: VS Code's `http.proxy` when the
 * extension passes it, else the HTTPS_PROXY / HTTP_PROXY / NO_PROXY variables
 * that curl, pip and huggingface_hub honour. The engine worker does not get
 * VS Code's patched http module, so proxies are applied here explicitly.
 */

export interface ProxySettings {
  /** proxy for https:// URLs */
  https?: string;
  /** proxy for http:// URLs */
  http?: string;
  /** hosts reached directly: "example.org", ".example.org", "10.0.0.1", "host:8080", "*" */
  noProxy: string[];
}

const splitList = (v: string | undefined) =>
  (v ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** From the environment (lower-case names win, as in curl). An explicit proxy (VS Code's http.proxy) replaces both. */
export function proxySettings(env: NodeJS.ProcessEnv = process.env, explicit?: { proxy?: string; noProxy?: string[] }): ProxySettings {
  const e = (name: string) => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
  const noProxy = [...splitList(e('NO_PROXY')), ...(explicit?.noProxy ?? [])];
  if (explicit?.proxy) return { https: explicit.proxy, http: explicit.proxy, noProxy };
  return { https: e('HTTPS_PROXY') ?? e('ALL_PROXY'), http: e('HTTP_PROXY') ?? e('ALL_PROXY'), noProxy };
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

/** true when `target` is listed in NO_PROXY (suffix match on host names, exact on addresses, optional port). */
export function bypassesProxy(target: URL, noProxy: readonly string[]): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || defaultPort(target.protocol);
  for (const raw of noProxy) {
    const entry = raw.toLowerCase();
    if (entry === '*') return true;
    // "host", "host:port", "[v6]:port"; a bare IPv6 address has colons and no brackets
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    const entryPort = m?.[2];
    if (entryPort && entryPort !== port) continue;
    // "*.example.org", ".example.org" and "example.org" all cover example.org and its subdomains
    const name = (m ? m[1].replace(/^\[|\]$/g, '') : entry).replace(/^\*?\./, '');
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy URL for a request to `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, settings: ProxySettings): URL | undefined {
  const raw = target.protocol === 'https:' ? settings.https : settings.http;
  if (!raw || bypassesProxy(target, settings.noProxy)) return undefined;
  try {
    // "proxy.corp:3128" without a scheme means http, as curl reads it
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u;
  } catch {
    return undefined;
  }
}

/** The proxy's address for messages: scheme, host and port, never its credentials. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}
