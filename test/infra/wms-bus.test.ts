import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOmsApp, type OmsApp } from '#infra/build-app.ts';

/**
 * Each WMS is bound on the bus to its own source `wms.<wmsId>` (the bus
 * policy: only its role may put it, and that role no other WMS source), and
 * the consumer to its locations (OMS_WMS_LOCATIONS, from the same context).
 */
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };
const busStatements = (template: Template): Statement[] =>
  Object.values(template.findResources('AWS::Events::EventBusPolicy')).map((policy) => (policy as { Properties: { Statement: Statement } }).Properties.Statement);
const build = (context: Record<string, unknown> = {}): OmsApp => buildOmsApp({ outdir: mkdtempSync(join(tmpdir(), 'oms-wms-')), skipBundling: true, nag: false, context });

const east = 'arn:aws:iam::111122223333:role/wms-east';
const stores = 'arn:aws:iam::444455556666:role/integrations/store-wms';
const wms = { east: { principal: east, locations: ['wh-east', 'wh-north'] }, stores: { principal: stores, locations: ['store-soho'] } };

let configured: OmsApp;
let statements: Statement[];
beforeAll(() => {
  configured = build({ wms: JSON.stringify(wms) });
  statements = busStatements(Template.fromStack(configured.stateful));
});

describe('bus policy without WMS', () => {
  it('lets nobody put a WMS source (wms, wms.*) or FulfillmentReported, and allows nothing', () => {
    const plain = busStatements(Template.fromStack(build().stateful));
    expect(plain.find((s) => s.Sid === 'cdk-OnlyNamedWmsPublishWms')).toEqual({
      Sid: 'cdk-OnlyNamedWmsPublishWms',
      Effect: 'Deny',
      Action: 'events:PutEvents',
      Principal: { AWS: '*' },
      Resource: expect.anything(),
      Condition: { StringLike: { 'events:source': ['wms', 'wms.*'] } },
    });
    expect(plain.find((s) => s.Sid === 'cdk-OnlyNamedWmsPublishFulfillmentReported')).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { StringEquals: { 'events:detail-type': 'FulfillmentReported' } } });
    expect(plain.find((s) => s.Sid === 'cdk-OnlyNamedWmsPublishFulfillmentReported')?.Condition).not.toHaveProperty('ArnNotLike');
    expect(plain.filter((s) => s.Effect === 'Allow')).toEqual([]);
  });
});

describe('bus policy with WMS (context wms)', () => {
  it('denies WMS sources and FulfillmentReported to everyone but the named roles', () => {
    for (const sid of ['OnlyNamedWmsPublishWms', 'OnlyNamedWmsPublishFulfillmentReported']) {
      expect(statements.find((s) => s.Sid === `cdk-${sid}`)).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { ArnNotLike: { 'aws:PrincipalArn': [east, stores] } } });
    }
    expect(statements.find((s) => s.Sid === 'cdk-OnlyNamedWmsPublishWms')?.Condition?.['StringLike']).toEqual({ 'events:source': ['wms', 'wms.*'] });
  });

  it('allows each role exactly FulfillmentReported with its own source, and denies it every other WMS source', () => {
    for (const [wmsId, principal] of [['east', east], ['stores', stores]] as const) {
      expect(statements.find((s) => s.Sid === `cdk-WmsPublishesReports-${wmsId}`)).toMatchObject({
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: { AWS: principal },
        Condition: { StringEquals: { 'events:source': `wms.${wmsId}`, 'events:detail-type': 'FulfillmentReported' } },
      });
      expect(statements.find((s) => s.Sid === `cdk-WmsOnlyItsSource-${wmsId}`)).toMatchObject({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Condition: { ArnLike: { 'aws:PrincipalArn': principal }, StringLike: { 'events:source': ['wms', 'wms.*'] }, StringNotEquals: { 'events:source': `wms.${wmsId}` } },
      });
    }
    expect(statements.filter((s) => s.Effect === 'Allow')).toHaveLength(2);
  });

  it('keeps oms.* to the OMS publisher tag: the WMS roles carry none', () => {
    expect(statements.find((s) => s.Sid === 'cdk-OnlyTheOmsPublishesOmsSources')).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Condition: { StringLike: { 'events:source': 'oms.*' }, StringNotEquals: { 'aws:PrincipalTag/oms-publisher': 'oms' } },
    });
  });

  it('routes every wms.<wmsId> source to the consumer, which is told each WMS\'s locations', () => {
    const stateless = Template.fromStack(configured.stateless);
    const rules = Object.values(stateless.findResources('AWS::Events::Rule')).map((r) => (r as { Properties: { EventPattern: Record<string, unknown> } }).Properties.EventPattern);
    expect(rules).toContainEqual({ source: [{ prefix: 'wms.' }], 'detail-type': ['FulfillmentReported'] });
    const consumer = Object.values(stateless.findResources('AWS::Lambda::Function')).find((fn) => JSON.stringify(fn).includes('FulfillmentReported from a WMS')) as { Properties: { Environment: { Variables: Record<string, string> } } };
    expect(JSON.parse(consumer.Properties.Environment.Variables['OMS_WMS_LOCATIONS'] ?? 'null')).toEqual({ east: ['wh-east', 'wh-north'], stores: ['store-soho'] });
  });
});

describe('bad WMS configuration fails the synth, naming the problem', () => {
  it.each([
    ['not JSON', 'east=arn:aws:iam::111122223333:role/wms-east', 'Context wms must be JSON'],
    ['an account instead of a role', JSON.stringify({ east: { principal: 'arn:aws:iam::111122223333:root', locations: ['wh-east'] } }), 'Context wms is invalid: east.principal: Use an IAM role ARN'],
    ['no locations', JSON.stringify({ east: { principal: east, locations: [] } }), 'east.locations: Name at least one location'],
    ['a bad WMS id', JSON.stringify({ 'East Coast': { principal: east, locations: ['wh-east'] } }), 'East Coast: Invalid key in record (Use 1-40 lowercase letters'],
    ['one role for two WMS', JSON.stringify({ east: { principal: east, locations: ['wh-east'] }, west: { principal: east, locations: ['wh-west'] } }), `west.principal: ${east} is already the principal of east`],
    ['an unknown field', JSON.stringify({ east: { principal: east, locations: ['wh-east'], source: 'wms' } }), 'Unrecognized key'],
    ['no WMS at all', '{}', 'Name at least one WMS'],
  ])('%s', (_, value, message) => {
    expect(() => build({ wms: value })).toThrow(message);
  });

  it('the old wmsPrincipals, which bound no WMS to its locations', () => {
    expect(() => build({ wmsPrincipals: east })).toThrow('Context wmsPrincipals is replaced by wms');
  });

  it('accepts the same configuration as an object (cdk.json)', () => {
    expect(busStatements(Template.fromStack(build({ wms }).stateful)).filter((s) => s.Effect === 'Allow')).toHaveLength(2);
  });
});
