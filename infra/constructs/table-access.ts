import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { table as tableDefinition } from '#shared/store/table.ts';

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
): void {
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
