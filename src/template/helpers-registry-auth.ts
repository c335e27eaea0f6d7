/**
 * Template helpers for private-registry pull credentials (the GitLab area owns this
 * file; the template engine registers whatever it exports).
 */
export const registryAuthHelpers: Record<string, (...args: unknown[]) => unknown> = {};
