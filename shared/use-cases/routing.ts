import { RoutingRulesChanged } from '#events/routing-rules-changed.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { canonicalJson } from '#shared/domain/canonical-json.ts';
import type { Change } from '#shared/domain/common.ts';
import { NotFoundError, PreconditionFailedError, ValidationError } from '#shared/domain/errors.ts';
import type { Location } from '#shared/domain/location.ts';
import type { OrderAddress } from '#shared/domain/order.ts';
import { needs } from '#shared/domain/reservation.ts';
import { BUILT_IN_RULE_SET, RuleSetId, checkRuleSet, route, type RoutingDecision, type RuleSet, type RuleSetInput } from '#shared/domain/routing.ts';
import type { CarrierGateway, InventoryRepository, OrderRepository, Page, PageRequest, RoutingRuleRepository } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { assertOrderId } from './orders.ts';
import { retryOnConcurrentModification } from './retry.ts';

export interface RoutingDeps {
  rules: RoutingRuleRepository;
  /** Every location (active or not): validation explains why a rule matches none. */
  allLocations(): Promise<Location[]>;
  inventory: Pick<InventoryRepository, 'positionsOf' | 'reservation'>;
  orders: Pick<OrderRepository, 'get'>;
  carriers: Pick<CarrierGateway, 'carrierIds'>;
  clock: Clock;
}

/** The rule set for a channel's orders: the channel's own, else `default`, else the built-in one. */
export async function ruleSetForChannel(rules: Pick<RoutingRuleRepository, 'get'>, channelId: string): Promise<RuleSet> {
  return (await rules.get(channelId)) ?? (await rules.get('default')) ?? BUILT_IN_RULE_SET;
}

function problemsOf(input: RuleSetInput, locations: readonly Location[], carriers: readonly string[]) {
  const { errors, warnings } = checkRuleSet(input, locations);
  if (input.carrier.strategy === 'fixed' && input.carrier.carrierId && !carriers.includes(input.carrier.carrierId)) {
    errors.push({ path: 'carrier.carrierId', message: `Unknown carrier ${input.carrier.carrierId}; known: ${carriers.join(', ')}` });
  }
  return { errors, warnings };
}

/**
 * `PUT /v1/routing-rules/{ruleSetId}`: validated against the locations that
 * exist now — a rule set that could never allocate is refused with each
 * rule's reason; rules that match nothing while others do come back as
 * warnings.
 */
export async function putRuleSet(
  deps: RoutingDeps,
  command: { ruleSetId: string; input: RuleSetInput; ifMatch?: number | undefined } & Actor,
): Promise<{ ruleSet: RuleSet; change: Change; warnings: { path: string; message: string }[] }> {
  const { errors, warnings } = problemsOf(command.input, await deps.allLocations(), deps.carriers.carrierIds());
  const [first] = errors;
  if (first) throw new ValidationError(first.message, errors.map((e) => ({ in: 'body' as const, path: e.path, message: e.message, code: 'unroutable' })));
  return retryOnConcurrentModification(async () => {
    const existing = await deps.rules.get(command.ruleSetId);
    if (command.ifMatch !== undefined && existing?.version !== command.ifMatch) {
      throw new PreconditionFailedError(`Rule set ${command.ruleSetId} is at version ${existing?.version ?? 'none'}, not ${command.ifMatch}`);
    }
    if (existing) {
      const { ruleSetId: _id, version: _v, createdAt: _c, updatedAt: _u, ...current } = existing;
      if (canonicalJson(current) === canonicalJson(command.input)) return { ruleSet: existing, change: 'unchanged' as const, warnings };
    }
    const now = deps.clock.now().toISOString();
    const ruleSet: RuleSet = {
      ...command.input,
      ruleSetId: command.ruleSetId,
      version: (existing?.version ?? 0) + 1,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    const change = existing ? ('updated' as const) : ('created' as const);
    await deps.rules.save(ruleSet, {
      expectedVersion: existing?.version ?? null,
      events: [RoutingRulesChanged.create({ ruleSetId: ruleSet.ruleSetId, version: ruleSet.version, change, rules: ruleSet.rules.map((r) => r.ruleId) }, { occurredAt: deps.clock.now(), ...actorOf(command) })],
    });
    return { ruleSet, change, warnings };
  }, command.ifMatch === undefined ? 3 : 1);
}

export async function getRuleSet(deps: Pick<RoutingDeps, 'rules'>, ruleSetId: string): Promise<RuleSet> {
  const ruleSet = RuleSetId.safeParse(ruleSetId).success ? await deps.rules.get(ruleSetId) : undefined;
  if (!ruleSet) throw new NotFoundError(`Rule set ${ruleSetId} does not exist${ruleSetId === 'default' ? ' (orders use the built-in rules until you create it)' : ''}`);
  return ruleSet;
}

export function listRuleSets(deps: Pick<RoutingDeps, 'rules'>, page: PageRequest): Promise<Page<RuleSet>> {
  return deps.rules.list(page);
}

export interface PreviewRequest {
  channelId?: string | undefined;
  /** Try rules before saving them; otherwise the channel's (or default) rule set. */
  ruleSet?: RuleSetInput | undefined;
  shippingAddress?: OrderAddress | undefined;
  fulfillment?: { type: 'ship' | 'pickup' | 'carry_out'; locationId?: string | undefined } | undefined;
  lines: { sku: string; quantity: number }[];
}

/** `POST /v1/routing/preview`: the decision for a hypothetical order, on current stock, reserving nothing. */
export async function previewRouting(deps: RoutingDeps, request: PreviewRequest): Promise<RoutingDecision> {
  const ruleSet: RuleSet = request.ruleSet
    ? { ...request.ruleSet, ruleSetId: 'preview', version: 0, createdAt: deps.clock.now().toISOString(), updatedAt: deps.clock.now().toISOString() }
    : await ruleSetForChannel(deps.rules, request.channelId ?? 'default');
  const demand = needs(request.lines);
  const [stocks, locations] = await Promise.all([deps.inventory.positionsOf(demand.map((d) => d.sku)), deps.allLocations()]);
  return route(
    { fulfillment: request.fulfillment ?? { type: 'ship' }, destination: request.shippingAddress, demand },
    { ruleSet, locations: locations.filter((l) => l.active), stock: new Map([...stocks].map(([sku, s]) => [sku, s.positions])), now: deps.clock.now() },
  );
}

/** `GET /v1/orders/{orderId}/routing`: the latest decision, with what the order holds now. */
export async function getOrderRouting(deps: Pick<RoutingDeps, 'inventory' | 'orders'>, orderId: string) {
  assertOrderId(orderId);
  const [order, reservation] = await Promise.all([deps.orders.get(orderId), deps.inventory.reservation(orderId)]);
  if (!order) throw new NotFoundError(`Order ${orderId} does not exist`);
  if (!reservation?.routing) throw new NotFoundError(`Order ${orderId} has not been routed (it is ${order.status})`);
  return {
    orderId,
    orderStatus: order.status,
    decision: reservation.routing,
    allocations: reservation.allocations,
    backordered: reservation.backordered,
    excludedLocationIds: reservation.excludedLocationIds ?? [],
  };
}
