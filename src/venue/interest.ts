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
export interface InterestModelParams {
  /** Decimal APR paid on borrowed quote or base (market value). Default 0.10. */
  borrowApr: number;
  /** Decimal APR earned on idle positive quote cash in spot wallets. Default 0. */
  lendApr: number;
}

export interface InterestModel {
  readonly name: 'constant-apr';
  readonly params: InterestModelParams;
}

export const DEFAULT_INTEREST_PARAMS: InterestModelParams = { borrowApr: 0.1, lendApr: 0 };

export function constantAprInterest(params: Partial<InterestModelParams> = {}): InterestModel {
  const p = { ...DEFAULT_INTEREST_PARAMS, ...params };
  for (const k of Object.keys(p)) {
    if (!(k in DEFAULT_INTEREST_PARAMS)) throw new Error(`interest model: unknown param "${k}" (known: ${Object.keys(DEFAULT_INTEREST_PARAMS).join(', ')})`);
    const x = p[k as keyof InterestModelParams] as unknown;
    if (typeof x !== 'number' || !(x >= 0) || x === Infinity) throw new Error(`interest model: param "${k}" must be a decimal APR ≥ 0 (got ${String(x)})`);
  }
  return { name: 'constant-apr', params: p };
}
