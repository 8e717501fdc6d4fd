/** Engine methods for models from the Hugging Face Hub, and their types (a leaf: types only). */
import type { MethodSpec } from '../../methodSpec';

export interface DownloadModelRequest {
  /** owner/name */
  repo: string;
  /** branch, tag or commit; default main */
  revision?: string;
  /** target folder; default <storage>/models/<owner>--<name> */
  out?: string;
  /** the endpoint setting; empty: HF_ENDPOINT, else huggingface.co */
  endpoint?: string;
  /** a token from VS Code's secret storage; else HF_TOKEN */
  token?: string;
  /** VS Code's http.proxy; else HTTPS_PROXY / HTTP_PROXY */
  proxy?: string;
  noProxy?: string[];
}

export interface DownloadModelResult {
  dir: string;
  repo: string;
  revision: string;
  commit: string;
  files: number;
  bytes: number;
  /** bytes received over the network (less than `bytes` when files were already there or resumed) */
  fetched: number;
  /** files already present and verified, not downloaded again */
  reused: number;
  seconds: number;
}

/** A model folder in storage with its `.cmb-download.json`. */
export interface DownloadedModel {
  dir: string;
  repo: string;
  revision: string;
  commit: string;
  complete: boolean;
  bytes: number;
  completedAt?: string;
}

export type DownloadMethods = {
  /** downloads (or resumes) a model into <storage>/models/<owner>--<name>, or `out` */
  'model.download': MethodSpec<DownloadModelRequest, DownloadModelResult>;
  /** the models downloaded into storage, newest first */
  'model.downloaded': MethodSpec<Record<string, never>, DownloadedModel[]>;
};
