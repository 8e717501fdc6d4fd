/** The domain handler tables the engine serves besides its core methods. */
import type { DomainHandlers } from './engine';
import { createTaskHandlers } from './tasks/protocol';
import { createIcdHandlers } from './icd/handlers';

export const domainHandlers: DomainHandlers[] = [createTaskHandlers, createIcdHandlers];
