/** The domain handler tables the engine serves besides its core methods. */
import type { DomainHandlers } from './engine';
import { createTaskHandlers } from './tasks/handlers';
import { createIcdHandlers } from './icd/handlers';
import { createSearchDomain } from './index/domain';
import { createTrainHandlers } from './train/handlers';
import { createDownloadHandlers } from './model/download/handlers';
import { createGpuHandlers } from './model/gpu/handlers';
import { createFinetuneHandlers } from './finetune/handlers';

export const domainHandlers: DomainHandlers[] = [createTaskHandlers, createIcdHandlers, createSearchDomain, createTrainHandlers, createDownloadHandlers, createGpuHandlers, createFinetuneHandlers];
