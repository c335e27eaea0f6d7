/** Flags of `mdeploy zk-id`, as commander hands them over (strings, parsed by src/zk/zk-id-wiring.ts). */
export interface ZkIdFlags {
  dataDir: string;
  confDir: string;
  address?: string;
  clientPort: string;
  quorumPort: string;
  electionPort: string;
  peers?: string;
  dns?: string;
  ec2Asg?: string;
  ec2Tag?: string;
  ensembleSize?: string;
  awsRegion?: string;
  awsEndpoint?: string;
  imdsEndpoint?: string;
  promote: boolean;
  leave: boolean;
  printZkUrl: boolean;
  zkPath: string;
  tickTime: string;
  waitTimeout: string;
  syncTimeout: string;
  settleTimeout: string;
  pollInterval: string;
  claimGrace: string;
  claimTtl: string;
  bootstrap: boolean;
  deadVoterGrace: string;
  targetSize?: string;
}
