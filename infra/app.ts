import { buildOmsApp } from './build-app.ts';

// Entry point of `cdk synth` / `cdk deploy` (see cdk.json).
buildOmsApp().app.synth();
