/** The domain handler tables the engine serves besides its core methods. */
import type { DomainHandlers } from './engine';
import { createTaskHandlers } from './tasks/protocol';

export const domainHandlers: DomainHandlers[] = [createTaskHandlers];
