import { type Kysely, sql } from 'kysely';

/**
 * order_place looked up an earlier order under the buyer's idempotency key by joining `orders` on (buyer_id,
 * idempotency_key). The function runs on generic plans (plan_cache_mode = force_generic_plan), made once per database
 * session at its first call: a session that first placed an order while `orders` was empty planned that join on
 * `orders_buyer_idx` (buyer_id, created_at), not on the unique key, and kept the plan. Every order then read all of its
 * buyer's earlier orders to find its key: 700 index rows per order after 90 s of the orders-place benchmark (auto_explain),
 * and the cost of placing an order grew with the buyer's history.
 *
 * The look-up is now order_under_key, which plans its query on each call (EXECUTE) with the table's current statistics,
 * so it finds the key through the unique index however the session began. order_place is changed in place: its
 * definition as stored, with its three joins on the key replaced (checked, so a changed body fails the migration
 * instead of passing over it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function order_under_key(p_buyer uuid, p_key text) returns table (id uuid, request_hash text)
    language plpgsql stable as $fn$
    begin
      return query execute 'select o.id, o.request_hash from orders o where o.buyer_id = $1 and o.idempotency_key = $2' using p_buyer, p_key;
    end
    $fn$;

    do $do$
    declare
      v_def text := pg_get_functiondef('order_place(jsonb, jsonb, jsonb)'::regprocedure);
      v_old text := 'left join orders k on k.buyer_id = o.buyer_id and k.idempotency_key = o.idempotency_key';
      v_new text := 'left join lateral order_under_key(o.buyer_id, o.idempotency_key) k on true';
      v_found int;
    begin
      v_found := (length(v_def) - length(replace(v_def, v_old, ''))) / length(v_old);
      if v_found <> 3 then
        raise exception 'order_place: expected 3 look-ups of the idempotency key to replace, found %', v_found;
      end if;
      execute replace(v_def, v_old, v_new);
    end
    $do$;
  `.execute(db);
}
