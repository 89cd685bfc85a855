import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const awsImports = {
  patterns: [
    {
      group: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', '@middy/*', '@aws-lambda-powertools/*', 'aws-lambda'],
      message: 'The domain and use cases stay free of AWS: depend on a port in shared/ports.ts instead.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.oms/', 'coverage/', 'docs/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Literal[value=/^(ORDER|LOCATION|CHANNEL|STOCK|EVENT|IDEMPOTENCY|CHANNELORDER|MOVEMENTS)#/]',
          message: 'DynamoDB keys are built in shared/store/keys.ts only.',
        },
      ],
    },
  },
  {
    files: ['shared/domain/**/*.ts', 'shared/use-cases/**/*.ts', 'shared/channels/**/*.ts', 'shared/import/**/*.ts', 'events/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', awsImports] },
  },
  {
    files: ['shared/store/keys.ts', 'test/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
