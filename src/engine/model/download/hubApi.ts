/**
 * The Hugging Face Hub's public HTTP API, used as huggingface_hub uses it:
 * `GET /api/models/{repo}/revision/{rev}` for the commit a revision points at,
 * `GET /api/models/{repo}/tree/{commit}?recursive=true` for the files (sizes,
 * git blob ids, LFS sha256), paginated by Link headers, and
 * `GET /{repo}/resolve/{commit}/{path}` for content. Errors are told apart by
 * the Hub's X-Error-Code header (RepoNotFound, RevisionNotFound,
 * EntryNotFound, GatedRepo), as huggingface_hub's hf_raise_for_status does.
 */
import { EngineError } from '../../errors';
import { httpRequest, NetworkError, readBody, type HttpRequestOptions, type HttpResponse } from '../../net/httpRequest';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubOptions extends Pick<HttpRequestOptions, 'signal' | 'proxy' | 'idleMs' | 'tls'> {
  /** e.g. https://huggingface.co or a mirror, without a trailing slash */
  endpoint: string;
  /** a user access token; sent to the endpoint's own host only, never logged */
  token?: string;
  /** attempts for API calls that meet a dropped connection or a 5xx answer */
  retries?: number;
  retryDelayMs?: number;
}

/** One file of a repository as the tree API lists it. */
export interface HubFile {
  path: string;
  size: number;
  /** git blob id (sha1 of "blob <size>\0" + content for a regular file; of the pointer for an LFS file) */
  oid: string;
  /** LFS files: sha256 and size of the content */
  lfs?: { sha256: string; size: number };
}

/** The endpoint: the setting, else HF_ENDPOINT, else huggingface.co. Only http(s) URLs. */
export function resolveEndpoint(setting: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = (setting?.trim() || env.HF_ENDPOINT?.trim() || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new EngineError('bad-input', `The Hugging Face endpoint "${raw}" is not a URL (set HF_ENDPOINT or clinicalModernbert.hub.endpoint to e.g. https://huggingface.co).`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new EngineError('bad-input', `The Hugging Face endpoint must be an https address, not ${u.protocol}.`);
  if (u.username || u.password) throw new EngineError('bad-input', 'The Hugging Face endpoint must not carry a user name or password; give a token instead.');
  return raw;
}

/** HF_TOKEN, or the older HUGGING_FACE_HUB_TOKEN, as huggingface_hub reads them. */
export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim() || undefined;
}

/**
 * "owner/name" (or a legacy single "name"), with huggingface_hub's rules:
 * letters, digits, "-", "_", "."; no "--" or ".."; at most 96 characters a part.
 */
export function validateRepoId(id: string): string {
  const repo = id.trim().replace(/^https?:\/\/[^/]+\//, '').replace(/\/+$/, '');
  const ok = /^([A-Za-z0-9][\w.-]{0,95}\/)?[A-Za-z0-9][\w.-]{0,95}$/.test(repo) && !repo.includes('--') && !repo.includes('..') && !repo.endsWith('.git');
  if (!ok) throw new EngineError('bad-input', `"${id}" is not a Hugging Face model id; use owner/name, e.g. Simonlee711/Clinical_ModernBERT.`);
  return repo;
}

/** The file's download address at a commit: /{repo}/resolve/{commit}/{path}. */
export function resolveUrl(endpoint: string, repo: string, commit: string, file: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(commit)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** Headers for a request to `url`: the token only when it goes to the endpoint's own origin. */
export function hubHeaders(url: string, o: Pick<HubOptions, 'endpoint' | 'token'>): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'clinical-modernbert (huggingface_hub-compatible)' };
  if (o.token && new URL(url).origin === new URL(o.endpoint).origin) headers.authorization = `Bearer ${o.token}`;
  return headers;
}

export interface HubErrorContext {
  repo: string;
  revision: string;
  endpoint: string;
  hasToken: boolean;
  /** a file path, for answers about one file */
  file?: string;
}

const TOKEN_HINT = 'set HF_TOKEN, or run "Clinical: Set Hugging Face Token..." in VS Code';

/** The one-line error for a Hub answer that is not a success. Server-sent text is cut short; nothing of a token or a note goes in. */
export function hubError(res: Pick<HttpResponse, 'status' | 'headers'>, ctx: HubErrorContext): EngineError {
  const code = String(res.headers['x-error-code'] ?? '');
  const serverMessage = String(res.headers['x-error-message'] ?? '').slice(0, 200);
  const host = new URL(ctx.endpoint).host;
  const page = `${ctx.endpoint}/${ctx.repo}`;
  if (code === 'RevisionNotFound') {
    return new EngineError('download-failed', `${ctx.repo} has no revision "${ctx.revision}" (a branch, tag or commit); check --revision.`);
  }
  if (code === 'EntryNotFound') {
    return new EngineError('download-failed', `${ctx.repo} has no file ${ctx.file ?? ''} at revision "${ctx.revision}"; it may have been removed during the download. Run it again.`);
  }
  if (code === 'GatedRepo') {
    return ctx.hasToken
      ? new EngineError('auth-required', `${ctx.repo} is gated and your Hugging Face token has not been granted access: request access on ${page} while logged in, then run the download again.`)
      : new EngineError('auth-required', `${ctx.repo} is gated: accept its conditions on ${page} while logged in, then give a token (${TOKEN_HINT}).`);
  }
  if (res.status === 401 && /invalid credentials|invalid.*token|expired/i.test(serverMessage)) {
    return new EngineError('auth-required', `The Hugging Face token was refused by ${host} (invalid or expired); create a new read token on ${ctx.endpoint}/settings/tokens and ${TOKEN_HINT}.`);
  }
  if (code === 'RepoNotFound' || res.status === 404 || res.status === 401) {
    // the Hub answers 401 for a private repository, a gated one and a missing one alike when no token is sent
    return ctx.hasToken
      ? new EngineError('download-failed', `The model repository ${ctx.repo} was not found on ${host}, or your token cannot see it; check the name (owner/name).`)
      : new EngineError(res.status === 401 ? 'auth-required' : 'download-failed', `The model repository ${ctx.repo} was not found on ${host}; check the name (owner/name). A private repository needs a token (${TOKEN_HINT}).`);
  }
  if (res.status === 403) {
    return new EngineError('auth-required', `${host} refused access to ${ctx.repo} (HTTP 403${serverMessage ? `: ${serverMessage}` : ''}); make sure your token may read it.`);
  }
  if (res.status === 429) return new EngineError('download-failed', `${host} is rate-limiting downloads (HTTP 429); wait a few minutes and run the download again (it resumes).`);
  return new EngineError('download-failed', `${host} answered HTTP ${res.status} for ${ctx.file ?? ctx.repo}; try again later.`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/** GET a JSON answer from the API, retrying dropped connections and 5xx answers. */
async function getJson(url: string, o: HubOptions, ctx: HubErrorContext): Promise<{ json: unknown; res: HttpResponse }> {
  const retries = o.retries ?? 4;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new EngineError('cancelled', 'The download was cancelled.');
    let res: HttpResponse;
    try {
      res = await httpRequest(url, { headers: { ...hubHeaders(url, o), accept: 'application/json' }, signal: o.signal, proxy: o.proxy, idleMs: o.idleMs, tls: o.tls });
      if (res.status >= 500 || res.status === 429 || res.status === 408) {
        res.body.resume();
        if (attempt > retries) throw hubError(res, ctx);
        await sleep((o.retryDelayMs ?? 1000) * 2 ** (attempt - 1), o.signal);
        continue;
      }
      if (res.status !== 200) {
        res.body.resume();
        throw hubError(res, ctx);
      }
      const body = await readBody(res);
      try {
        return { json: JSON.parse(body.toString('utf8')), res };
      } catch {
        throw new EngineError('download-failed', `${new URL(o.endpoint).host} sent an answer that is not JSON for ${ctx.repo}; is ${o.endpoint} a Hugging Face endpoint?`);
      }
    } catch (e) {
      if (o.signal?.aborted || (e as Error)?.name === 'AbortError') throw new EngineError('cancelled', 'The download was cancelled.');
      if (!(e instanceof NetworkError)) throw e;
      if (attempt > retries) throw new EngineError('download-failed', `Could not reach ${new URL(o.endpoint).host}: ${e.message}. Check the connection or proxy (HTTPS_PROXY, or VS Code's http.proxy).`);
      await sleep((o.retryDelayMs ?? 1000) * 2 ** (attempt - 1), o.signal);
    }
  }
}

/** The commit a revision (branch, tag or commit) points at, so every file comes from one snapshot. */
export async function resolveCommit(repo: string, revision: string, o: HubOptions): Promise<string> {
  const ctx: HubErrorContext = { repo, revision, endpoint: o.endpoint, hasToken: !!o.token };
  const { json } = await getJson(`${o.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`, o, ctx);
  const sha = (json as { sha?: unknown })?.sha;
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) {
    throw new EngineError('download-failed', `${new URL(o.endpoint).host} did not say which commit "${revision}" of ${repo} is; is ${o.endpoint} a Hugging Face endpoint?`);
  }
  return sha;
}

/** The next page of a paginated answer: `Link: <url>; rel="next"`. */
export function nextPage(link: string | string[] | undefined): string | undefined {
  for (const part of String(link ?? '').split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

/** Every file of the repository at `commit` (folders are walked by the API itself: recursive=true). */
export async function listFiles(repo: string, commit: string, o: HubOptions): Promise<HubFile[]> {
  const ctx: HubErrorContext = { repo, revision: commit, endpoint: o.endpoint, hasToken: !!o.token };
  const files: HubFile[] = [];
  let url: string | undefined = `${o.endpoint}/api/models/${repo}/tree/${encodeURIComponent(commit)}?recursive=true&expand=false`;
  for (let page = 0; url; page++) {
    if (page >= 1000) throw new EngineError('download-failed', `The file list of ${repo} does not end (over 1000 pages); is ${o.endpoint} a Hugging Face endpoint?`);
    const { json, res } = await getJson(url, o, ctx);
    if (!Array.isArray(json)) throw new EngineError('download-failed', `${new URL(o.endpoint).host} sent a file list for ${repo} in an unexpected form.`);
    for (const e of json as Array<Record<string, unknown>>) {
      if (e?.type !== 'file') continue;
      const lfs = e.lfs as { oid?: unknown; size?: unknown } | undefined;
      if (typeof e.path !== 'string' || typeof e.size !== 'number' || typeof e.oid !== 'string') continue;
      files.push({
        path: e.path,
        size: e.size,
        oid: e.oid,
        ...(lfs && typeof lfs.oid === 'string' && typeof lfs.size === 'number' ? { lfs: { sha256: lfs.oid, size: lfs.size } } : {}),
      });
    }
    const next = nextPage(res.headers.link);
    url = next ? new URL(next, url).href : undefined;
  }
  return files;
}
