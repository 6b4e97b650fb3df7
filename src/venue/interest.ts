/**
 * Interest on spot balances: a constant-APR model. A negative quote balance or a negative base
 * position in a spot wallet is a margin loan and pays `borrowApr`; a positive quote balance earns
 * `lendApr`. Interest is charged hourly, like Binance margin (https://www.binance.com/en/margin-fee:
 * "interest is calculated and charged hourly"), at APR / 8760 per hour (simple), in arrears: at each
 * UTC hour boundary, for the hour that ends there, on the balance held over that hour (before any
 * trade or transfer at the boundary), base valued at the latest close. A loan held for h whole
 * hours pays h hours, whatever the bar timeframe; Binance charges the first hour at borrowing (in
 * advance), which differs only in when each hour's charge is booked and at which price.
 */
import { number, object, parse, type Infer } from '../core/schema.js';
import { UserError } from '../core/errors.js';

/** Schema of the constant-APR params (run.json `models.interest.params`). */
export const interestParamsSchema = object({
  borrowApr: number({ default: 0.1, min: 0, max: 10, unit: 'decimal APR', help: 'paid on borrowed quote or base (market value)' }),
  lendApr: number({ default: 0, min: 0, max: 10, unit: 'decimal APR', help: 'earned on idle positive quote cash in spot wallets' }),
});

export type InterestModelParams = Infer<typeof interestParamsSchema>;

export interface InterestModel {
  readonly name: 'constant-apr';
  readonly params: InterestModelParams;
}

export const DEFAULT_INTEREST_PARAMS: InterestModelParams = parse(interestParamsSchema, {});

/** The constant-APR model; params validated (a SchemaError names `models.interest.params.<field>`). */
export function constantAprInterest(params: unknown = {}, path = 'models.interest.params'): InterestModel {
  return { name: 'constant-apr', params: parse(interestParamsSchema, params, path) };
}

/** Build the interest model by name. */
export function interestModel(name: string, params: unknown = {}): InterestModel {
  if (name !== 'constant-apr') throw new UserError(`unknown interest model "${name}" (available: constant-apr)`);
  return constantAprInterest(params);
}

/**
 * Interest on a spot wallet's quote balance for `hours` whole hours, quote units: a loan
 * (balance < 0) pays borrowApr, cash (> 0) earns lendApr; simple, APR / 8760 per hour.
 */
export function quoteInterest(p: InterestModelParams, balance: number, hours: number): number {
  if (balance < 0 && p.borrowApr > 0) return (balance * p.borrowApr * hours) / 8760;
  if (balance > 0 && p.lendApr > 0) return (balance * p.lendApr * hours) / 8760;
  return 0;
}

/** Interest on a borrowed base position (qty < 0) valued at `price`, for `hours` whole hours (≤ 0). */
export function baseBorrowInterest(p: InterestModelParams, qty: number, price: number, hours: number): number {
  return qty < 0 && p.borrowApr > 0 ? (qty * price * p.borrowApr * hours) / 8760 : 0;
}
