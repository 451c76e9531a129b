// Offline IAM policy simulator driver for tests/policy (see README.md beside this file).
//
// stdin:  a JSON array of items. An item is either
//           {"simulation": <@cloud-copilot/iam-simulate Simulation>}  -> a verdict
//           {"expand": ["s3:Put*", ...]}                              -> the IAM actions each pattern names
// stdout: a JSON array with one result per item, in the same order.
// Exit status: 0 on success (per-item input errors are reported in the item's result),
//              2 on unreadable input, 3 when a canary fails (the library no longer behaves as the workarounds assume).
// `node simulate.mjs --canaries` prints the canary results and exits 0 or 3.

import { expandIamActions } from '@cloud-copilot/iam-expand'
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy'
import {
  allowedContextKeysForRequest,
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  runUnsafeSimulation
} from '@cloud-copilot/iam-simulate'

const OPTIONS = { simulationMode: 'Strict' }

// runSimulation adds AWS's default RCP to every RCP level; runUnsafeSimulation does not, so the unsafe path adds it.
const RCP_FULL_AWS_ACCESS = {
  name: 'RCPFullAWSAccess',
  policy: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }]
  }
}

// Known gap 1: runSimulation matches variable context keys only in the form `prefix/${Var}`, so it drops
// `kms:EncryptionContext:<key>` as "ignored" although the action allows `kms:EncryptionContext:${EncryptionContextKey}`.
const ENCRYPTION_CONTEXT_PREFIX = 'kms:encryptioncontext:'
const ENCRYPTION_CONTEXT_VARIABLE = 'kms:encryptioncontext:${encryptioncontextkey}'

async function recoverableKeys(request, ignoredKeys) {
  const candidates = ignoredKeys.filter((key) => key.toLowerCase().startsWith(ENCRYPTION_CONTEXT_PREFIX))
  if (candidates.length === 0) {
    return []
  }
  const [service, action] = request.action.split(':')
  const allowed = await allowedContextKeysForRequest(service, action, request.resource.resource, false, undefined)
  return allowed.includes(ENCRYPTION_CONTEXT_VARIABLE) ? candidates : []
}

function layerResults(analysis) {
  return {
    identity: analysis.identityAnalysis?.result ?? null,
    resource: analysis.resourceAnalysis?.result ?? null,
    scp: analysis.scpAnalysis?.result ?? null,
    rcp: analysis.rcpAnalysis?.result ?? null
  }
}

// Evaluate one simulation: validate with runSimulation (strict). When the only thing strict mode got wrong is
// the dropped encryption context, evaluate again with runUnsafeSimulation, which keeps every context key.
async function simulate(simulation) {
  const strict = await runSimulation(simulation, OPTIONS)
  if (strict.resultType === 'error') {
    return { error: strict.errors }
  }
  if (strict.resultType !== 'single') {
    return { error: { message: 'the driver simulates one concrete resource per request, not a wildcard' } }
  }
  const analysis = strict.result.analysis
  const ignored = strict.result.ignoredContextKeys ?? []
  const recovered = await recoverableKeys(simulation.request, ignored)
  const common = {
    strictResult: strict.overallResult,
    sameAccount: analysis.sameAccount,
    layers: layerResults(analysis),
    ignoredContextKeys: ignored.filter((key) => !recovered.includes(key)),
    recoveredContextKeys: recovered
  }
  if (recovered.length === 0) {
    return {
      result: strict.overallResult,
      engine: 'strict',
      denials: getDenialReasons(analysis),
      grants: getGrantReasons(analysis),
      ...common
    }
  }
  return { result: runUnsafe(simulation, common.ignoredContextKeys), engine: 'unsafe', ...common }
}

function runUnsafe(simulation, ignoredKeys) {
  const contextVariables = Object.fromEntries(
    Object.entries(simulation.request.contextVariables).filter(([key]) => !ignoredKeys.includes(key))
  )
  return runUnsafeSimulation(
    {
      ...simulation,
      request: { ...simulation.request, contextVariables },
      resourceControlPolicies: simulation.resourceControlPolicies.map((level) => ({
        ...level,
        policies: [RCP_FULL_AWS_ACCESS, ...level.policies]
      })),
      // Known gap 2: runUnsafeSimulation crashes on a plain resource policy (it has no name metadata).
      resourcePolicy: simulation.resourcePolicy
        ? createValidatedPolicy(simulation.resourcePolicy, validateResourcePolicy, { name: 'ResourcePolicy' })
        : undefined
    },
    OPTIONS
  )
}

async function expand(patterns) {
  const expanded = {}
  for (const pattern of patterns) {
    expanded[pattern] = await expandIamActions(pattern)
  }
  return { expanded }
}

async function handle(item) {
  try {
    if (item && Array.isArray(item.expand)) {
      return await expand(item.expand)
    }
    if (item && item.simulation) {
      return await simulate(item.simulation)
    }
    return { error: { message: 'an item needs "simulation" or "expand"' } }
  } catch (err) {
    return { error: { message: String(err?.stack ?? err) } }
  }
}

// ------------------------------------------------------------------ canaries
// Requests whose answers are known. They prove that both workarounds still do what they are for; a library
// upgrade that changes either behaviour stops every run instead of silently changing test verdicts.
const KEY_ACCOUNT = '111111111111'
const TRAIL_ACCOUNT = '222222222222'
const KEY_ARN = `arn:aws:kms:us-east-1:${KEY_ACCOUNT}:key/00000000-0000-0000-0000-000000000000`
const CONTEXT_KEY = 'kms:EncryptionContext:aws:cloudtrail:arn'
const CANARY_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'CloudTrailEncrypt',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:GenerateDataKey*',
      Resource: '*',
      Condition: { StringLike: { [CONTEXT_KEY]: `arn:aws:cloudtrail:*:${TRAIL_ACCOUNT}:trail/*` } }
    }
  ]
}
const CANARY_BUCKET_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::canary-bucket', 'arn:aws:s3:::canary-bucket/*'],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } }
    }
  ]
}
const ADMINISTRATOR_ACCESS = {
  name: 'AdministratorAccess',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
}

function kmsCanary(trailAccount) {
  return {
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: CANARY_KEY_POLICY,
    request: {
      principal: 'cloudtrail.amazonaws.com',
      action: 'kms:GenerateDataKey',
      resource: { resource: KEY_ARN, accountId: KEY_ACCOUNT },
      contextVariables: { [CONTEXT_KEY]: `arn:aws:cloudtrail:us-east-1:${trailAccount}:trail/org` }
    }
  }
}

function tlsCanary(secureTransport) {
  return {
    identityPolicies: [ADMINISTRATOR_ACCESS],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: CANARY_BUCKET_POLICY,
    request: {
      principal: `arn:aws:iam::${KEY_ACCOUNT}:role/Admin`,
      action: 's3:GetObject',
      resource: { resource: 'arn:aws:s3:::canary-bucket/a.json', accountId: KEY_ACCOUNT },
      contextVariables: { 'aws:SecureTransport': secureTransport }
    }
  }
}

const CANARIES = [
  {
    name: 'gap 1 still open: runSimulation drops the KMS encryption context (else remove the unsafe path)',
    check: async () => {
      const strict = await runSimulation(kmsCanary(TRAIL_ACCOUNT), OPTIONS)
      return [strict.overallResult, strict.result?.ignoredContextKeys]
    },
    expected: ['ImplicitlyDenied', [CONTEXT_KEY]]
  },
  {
    name: 'matching encryption context is allowed',
    check: async () => {
      const got = await simulate(kmsCanary(TRAIL_ACCOUNT))
      return [got.result, got.engine, got.ignoredContextKeys]
    },
    expected: ['Allowed', 'unsafe', []]
  },
  {
    name: 'mismatching encryption context is denied',
    check: async () => {
      const got = await simulate(kmsCanary('333333333333'))
      return [got.result, got.engine, got.ignoredContextKeys]
    },
    expected: ['ImplicitlyDenied', 'unsafe', []]
  },
  {
    name: 'TLS deny in a resource policy (strict engine)',
    check: async () => {
      const got = await simulate(tlsCanary('false'))
      return [got.result, got.denials.map((d) => [d.policyType, d.denialType, d.statementId])]
    },
    expected: ['ExplicitlyDenied', [['resource', 'Explicit', 'DenyInsecureTransport']]]
  },
  {
    name: 'TLS deny in a validated resource policy (unsafe engine, gap 2 workaround)',
    check: async () => [runUnsafe(tlsCanary('false'), []), runUnsafe(tlsCanary('true'), [])],
    expected: ['ExplicitlyDenied', 'Allowed']
  }
]

async function runCanaries() {
  const results = []
  for (const canary of CANARIES) {
    let got
    try {
      got = await canary.check()
    } catch (err) {
      got = `error: ${err?.message ?? err}`
    }
    const ok = JSON.stringify(got) === JSON.stringify(canary.expected)
    results.push({ name: canary.name, ok, expected: canary.expected, got })
  }
  return results
}

// ------------------------------------------------------------------ main
async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) {
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function main() {
  const canaries = await runCanaries()
  const failed = canaries.filter((canary) => !canary.ok)
  if (process.argv.includes('--canaries')) {
    process.stdout.write(JSON.stringify(canaries) + '\n')
    return failed.length ? 3 : 0
  }
  if (failed.length) {
    process.stderr.write(`iam-simulate canaries failed, the library changed behaviour:\n${JSON.stringify(failed, null, 2)}\n`)
    return 3
  }
  let items
  try {
    items = JSON.parse(await readStdin())
  } catch (err) {
    process.stderr.write(`stdin is not JSON: ${err.message}\n`)
    return 2
  }
  if (!Array.isArray(items)) {
    process.stderr.write('stdin must be a JSON array of items\n')
    return 2
  }
  const results = []
  for (const item of items) {
    results.push(await handle(item))
  }
  process.stdout.write(JSON.stringify(results) + '\n')
  return 0
}

process.exitCode = await main()
