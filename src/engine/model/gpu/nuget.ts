/**
 * A package on a NuGet v3 feed, found as onnxruntime-node's installer finds
 * it (service index -> PackageBaseAddress -> versions -> .nupkg URL), plus the
 * SHA-512 the feed publishes for it (registration -> catalog entry ->
 * packageHash), which the installer does not check and we do.
 */
import { EngineError } from '../../errors';
import { httpRequest, NetworkError, readBody, type HttpRequestOptions } from '../../net/httpRequest';

export interface NugetPackageRef {
  url: string;
  /** base64 SHA-512 from the feed's catalog, when the feed publishes one */
  sha512Base64?: string;
  size?: number;
}

type NetOptions = Pick<HttpRequestOptions, 'signal' | 'proxy' | 'idleMs' | 'tls'>;

async function getJson(url: string, o: NetOptions, what: string): Promise<unknown | undefined> {
  let res;
  try {
    res = await httpRequest(url, { headers: { accept: 'application/json', 'accept-encoding': 'gzip' }, ...o });
  } catch (e) {
    if (o.signal?.aborted) throw new EngineError('cancelled', 'Setting up CUDA was cancelled.');
    if (e instanceof NetworkError) throw new EngineError('download-failed', `Could not reach the package feed: ${e.message}. Check the connection or proxy, or install from a downloaded package file (cmb gpu --install --from FILE).`);
    throw e;
  }
  if (res.status === 404) {
    res.body.resume();
    return undefined;
  }
  if (res.status !== 200) {
    res.body.resume();
    throw new EngineError('download-failed', `The package feed ${res.url.host} answered HTTP ${res.status} for ${what}; try again later.`);
  }
  const body = await readBody(res);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new EngineError('download-failed', `The package feed ${res.url.host} sent ${what} in a form that is not JSON; is it a NuGet v3 feed?`);
  }
}

function resource(index: unknown, type: string): string | undefined {
  const list = (index as { resources?: Array<Record<string, unknown>> })?.resources;
  if (!Array.isArray(list)) return undefined;
  const r = list.find((x) => typeof x?.['@type'] === 'string' && (x['@type'] as string).startsWith(type) && typeof x['@id'] === 'string');
  const id = r?.['@id'] as string | undefined;
  return id && !id.endsWith('/') ? `${id}/` : id;
}

export async function resolveNugetPackage(feedIndex: string, id: string, version: string, o: NetOptions): Promise<NugetPackageRef> {
  const lowerId = id.toLowerCase();
  const lowerVersion = version.toLowerCase();
  const index = await getJson(feedIndex, o, 'its service index');
  if (!index) throw new EngineError('download-failed', `${feedIndex} is not a NuGet v3 feed (no service index there).`);
  const base = resource(index, 'PackageBaseAddress/3.0.0');
  if (!base) throw new EngineError('download-failed', `The package feed ${new URL(feedIndex).host} offers no package downloads (PackageBaseAddress).`);
  const versions = (await getJson(`${base}${lowerId}/index.json`, o, `the versions of ${id}`)) as { versions?: unknown } | undefined;
  if (!Array.isArray(versions?.versions) || !versions.versions.includes(lowerVersion)) {
    throw new EngineError('download-failed', `The package feed has no ${id} ${version}, which this onnxruntime-node needs for CUDA.`);
  }
  const ref: NugetPackageRef = { url: `${base}${lowerId}/${lowerVersion}/${lowerId}.${lowerVersion}.nupkg` };
  // the published hash: registration leaf -> catalog entry { packageHash, packageHashAlgorithm, packageSize }
  const registrations = resource(index, 'RegistrationsBaseUrl');
  if (registrations) {
    const leaf = (await getJson(`${registrations}${lowerId}/${lowerVersion}.json`, o, `the registration of ${id} ${version}`)) as { catalogEntry?: unknown } | undefined;
    let entry: unknown = leaf?.catalogEntry;
    if (typeof entry === 'string') entry = await getJson(entry, o, `the catalog entry of ${id} ${version}`);
    const e = entry as { packageHash?: unknown; packageHashAlgorithm?: unknown; packageSize?: unknown } | undefined;
    if (typeof e?.packageHash === 'string' && String(e.packageHashAlgorithm).toUpperCase() === 'SHA512') ref.sha512Base64 = e.packageHash;
    if (typeof e?.packageSize === 'number') ref.size = e.packageSize;
  }
  if (ref.size === undefined) {
    const head = await httpRequest(ref.url, { method: 'HEAD', ...o }).catch(() => undefined);
    head?.body.resume();
    const len = Number(head?.headers['content-length']);
    if (head?.status === 200 && Number.isFinite(len) && len > 0) ref.size = len;
  }
  return ref;
}
