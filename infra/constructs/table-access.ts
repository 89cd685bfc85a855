import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { table as tableDefinition } from '#shared/store/table.ts';

/**
 * Table access limited to partition keys (IAM `dynamodb:LeadingKeys`), for
 * public webhook functions: read what `read` and `write` match, write only
 * what `write` matches (PutItem, UpdateItem, DeleteItem: also inside
 * TransactWriteItems, which IAM checks item by item), on the table only — no
 * index, whose partition keys are not the table's.
 */
function grantScopedTableAccess(
  grantee: IGrantable,
  target: { table: Table; key: IKey },
  mode: 'read' | 'write',
  scope: { read: readonly string[]; write: readonly string[] },
): void {
  const leadingKeys = (patterns: readonly string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...patterns] } });
  const readable = mode === 'write' ? [...scope.read, ...scope.write] : [...scope.read];
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: READ.filter((action) => action !== 'dynamodb:DescribeTable'), resources: [target.table.tableArn], conditions: leadingKeys(readable) }),
  );
  if (mode === 'write' && scope.write.length > 0) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: WRITE.filter((action) => action !== 'dynamodb:BatchWriteItem'), resources: [target.table.tableArn], conditions: leadingKeys(scope.write) }),
    );
  }
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: mode === 'write' ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt', 'kms:DescribeKey'],
      resources: [target.key.keyArn],
    }),
  );
}

const READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'];
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/**
 * Table permissions without wildcards: the table and each named index, the
 * actions the OMS uses. `Scan` is deliberately absent: no request path may
 * scan the table, and IAM enforces it in AWS.
 */
export function grantTableAccess(
  grantee: IGrantable,
  target: { table: Table; key: IKey },
  mode: 'read' | 'write',
  scope?: { read: readonly string[]; write: readonly string[] },
): void {
  if (scope) {
    grantScopedTableAccess(grantee, target, mode, scope);
    return;
  }
  const resources = [
    target.table.tableArn,
    ...Object.keys(tableDefinition.indexes).map((index) => `${target.table.tableArn}/index/${index}`),
  ];
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: mode === 'write' ? [...READ, ...WRITE] : READ, resources }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: mode === 'write' ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt', 'kms:DescribeKey'],
      resources: [target.key.keyArn],
    }),
  );
}
