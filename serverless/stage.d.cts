/** Types of serverless/stage.cjs for the tests (osls itself loads the .cjs). */
declare const stage: {
  StageSettingError: new (message: string) => Error;
  parseSweepSchedule(value: unknown): { expression: string; enabled: boolean };
  visibilityTimeoutFor(workerTimeoutSeconds: unknown): number;
  selectorClaimExportName(selectorTagKey: unknown): string;
};
export = stage;
