/**
 * Boolean query parameters read the way Marathon's REST layer (Jersey, `@QueryParam ...
 * Boolean` with `@DefaultValue`) reads them: the first value wins; a missing or blank
 * value means the default; anything else is `Boolean.valueOf`, so `true`, `True` and
 * `TRUE` are true and every other text (`1`, `yes`, ` true`) is false. Python's requests
 * sends `True`/`False`, so lower-case-only parsing would turn `scale=True` into a relaunch.
 * Pure.
 */
export function queryFlag(params: URLSearchParams, name: string, defaultValue: boolean): boolean {
  const value = params.get(name);
  if (value === null || value.trim() === "") return defaultValue;
  return value.toLowerCase() === "true";
}

