/** One problem found in an input, with where it is (`mdeploy.yml:12: environments.staging.tempalte: ...` or a JSON path like `/upgradeStrategy/minimumHealthCapacity`). */
export interface Problem {
  path: string;
  message: string;
}
