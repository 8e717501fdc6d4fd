/** The domain handler tables the engine serves besides its core methods. */
import type { DomainHandlers } from './engine';

export const domainHandlers: DomainHandlers[] = [];
