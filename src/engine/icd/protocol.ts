/**
 * ICD methods of the engine. Everything here is structured-cloneable.
 */
import type { MethodSpec } from '../methodSpec';
import type { CodeInfo, DetectedCode } from './lookup';
import type { IcdSystem } from './systems';
import type { CodeVectorMethods } from './vectorProtocol';

export type { CodeInfo, DetectedCode, MappingInfo, ParentInfo } from './lookup';
export type { IcdSystem } from './systems';
export type * from './vectorProtocol';

export interface IcdStatus {
  installed: boolean;
  systems: Array<{ system: IcdSystem; name: string; codes: number; billable: number }>;
  /** URLs or folder the active set came from */
  source?: string;
  builtAt?: string;
  files?: string[];
  /** what the installer reported (malformed lines, duplicates, ignored files) */
  warnings?: string[];
}

export type IcdInstallSource = { kind: 'download'; urls: string[] } | { kind: 'folder'; path: string };

export type IcdMethods = IcdCodeSetMethods & CodeVectorMethods;

export type IcdCodeSetMethods = {
  /** every reading of each code (dotted or not); unknown codes come back with known: false */
  'icd.lookup': MethodSpec<{ codes: string[]; system?: IcdSystem }, { installed: boolean; results: Array<{ query: string; readings: CodeInfo[] }> }>;
  /** codes and descriptions matching as the user types */
  'icd.search': MethodSpec<{ query: string; limit?: number; systems?: IcdSystem[] }, { installed: boolean; items: CodeInfo[] }>;
  /** codes in a note, in UTF-16 offsets */
  'icd.detect': MethodSpec<{ text: string }, { installed: boolean; codes: DetectedCode[] }>;
  'icd.install': MethodSpec<IcdInstallSource, IcdStatus>;
  'icd.status': MethodSpec<Record<string, never>, IcdStatus>;
};
