import { type Kysely, sql } from 'kysely';

/**
 * Cheaper order placement (measured per 5-line order on the bench data, docs/ordering.md):
 *
 * - `stock_reserve_first_expiry_first` finds the candidate balances per SKU and location through the primary key.
 *   Its generic plan (the function forces generic plans) read the candidates through `stock_balances_location_idx`,
 *   i.e. every balance row of every source location (1,600+ rows for 8 warehouses on the bench, more in a real
 *   network) to keep the handful of the order's SKUs; it is now 5 SKUs × 8 locations primary-key probes. Same
 *   candidates, same order, same locks.
 * - `order_buyer_snapshot` is declared stable (it calls jsonb_build_object, which is stable): as an immutable function
 *   with a stable body PostgreSQL would not inline it, so every order_place parsed and planned its SQL body again.
 * - An allocation references its order line, (order_id, line_no), instead of the order, the SKU and the location: one
 *   foreign-key check per allocation instead of three (each check is a query of its own, about 10 µs, and those on the
 *   SKU and the warehouse took a key-share lock on rows every concurrent order locks). The line references the order;
 *   the SKU, location and batch are those of the reservation movement under the allocation's `reservation_key`
 *   (written in the same transaction), which references the SKU and the location, as the balance row it came from does.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- As in migration 006, except for the candidate rows (c): per requested SKU, the balances at each source location
    -- by primary key (offset 0 keeps the lateral scan from being flattened into a scan of the locations' balances).
    create or replace function stock_reserve_first_expiry_first(
      p_keys text[], p_skus uuid[], p_quantities int[], p_not_before date[], p_locations uuid[], p_reference text, p_at timestamptz)
    returns table (request int, location_id uuid, batch text, expiry_date date, quantity int, movement_key text)
    language plpgsql set plan_cache_mode = force_generic_plan as $fn$
    #variable_conflict use_column
    declare
      v_missing uuid[];
      l_sku uuid[] := '{}';
      l_loc uuid[] := '{}';
      l_batch text[] := '{}';
      n_count int;
      k_i int[];
      k_loc uuid[];
      k_batch text[];
      k_exp date[];
      k_qty int[];
      v_short boolean;
      v_round int := 0;
      v_moved int;
      v_balances int;
    begin
      if coalesce(cardinality(p_skus), 0) = 0 or coalesce(cardinality(p_locations), 0) = 0 then return; end if;

      with h as (
        select f.location_id from stock_location_freshness f where f.location_id = any(p_locations)
        order by f.location_id, f.source for key share)
      select array_agg(l) into v_missing from unnest(p_locations) l where l not in (select location_id from h);
      if v_missing is not null then
        insert into stock_location_freshness (location_id, source) select distinct l, 'cradle-orders' from unnest(v_missing) l on conflict do nothing;
        perform 1 from stock_location_freshness f where f.location_id = any(v_missing) order by f.location_id, f.source for key share;
      end if;

      loop
        -- One statement per round: plan on the current figures (the rows locked in earlier rounds are final), lock the
        -- planned rows not yet locked in key order (a row locked here reads as its latest version), and pick from the
        -- locked rows only.
        with r as (
          select * from unnest(p_skus, p_quantities, p_not_before) with ordinality as r(sku_id, want, not_before, i)),
        c as (
          select b.sku_id, b.location_id, b.batch, b.on_hand - b.reserved as available,
            (b.sku_id, b.location_id, b.batch) in (select * from unnest(l_sku, l_loc, l_batch)) as was_locked,
            sum(b.on_hand - b.reserved) over (partition by b.sku_id order by array_position(p_locations, b.location_id), b.expiry_date nulls last, b.batch collate "C"
              rows between unbounded preceding and 1 preceding) as before_all
          from r cross join lateral (
            select b.* from unnest(p_locations) as lo(location_id) join stock_balances b on b.sku_id = r.sku_id and b.location_id = lo.location_id
            where b.on_hand > b.reserved and (r.not_before is null or b.expiry_date is null or b.expiry_date >= r.not_before)
            offset 0) b),
        n as materialized (
          select b.sku_id, b.location_id, b.batch, b.expiry_date, b.on_hand - b.reserved as available
          from stock_balances b
          where (b.sku_id, b.location_id, b.batch) in (
              select c.sku_id, c.location_id, c.batch from c join r on r.sku_id = c.sku_id where coalesce(c.before_all, 0) < r.want and not c.was_locked)
          order by b.sku_id, b.location_id, b.batch
          for update of b),
        l as (
          select b.sku_id, b.location_id, b.batch, b.expiry_date, b.on_hand - b.reserved as available
          from stock_balances b
          where (b.sku_id, b.location_id, b.batch) in (select * from unnest(l_sku, l_loc, l_batch))
          union all
          select * from n),
        w as (
          select r.i, r.want, l.location_id, l.batch, l.expiry_date, l.available,
            coalesce(sum(l.available) over (partition by r.i order by array_position(p_locations, l.location_id), l.expiry_date nulls last, l.batch collate "C"
              rows between unbounded preceding and 1 preceding), 0) as before,
            row_number() over (order by r.i, array_position(p_locations, l.location_id), l.expiry_date nulls last, l.batch collate "C") as k
          from r join l on l.sku_id = r.sku_id and l.available > 0 and (r.not_before is null or l.expiry_date is null or l.expiry_date >= r.not_before)),
        p as (
          select w.i::int as i, w.location_id, w.batch, w.expiry_date, least(w.available, w.want - w.before)::int as take, w.k from w where w.before < w.want)
        select
          (select count(*) from n),
          l_sku || coalesce((select array_agg(n.sku_id) from n), '{}'),
          l_loc || coalesce((select array_agg(n.location_id) from n), '{}'),
          l_batch || coalesce((select array_agg(n.batch) from n), '{}'),
          (select array_agg(p.i order by p.k) from p), (select array_agg(p.location_id order by p.k) from p), (select array_agg(p.batch order by p.k) from p),
          (select array_agg(p.expiry_date order by p.k) from p), (select array_agg(p.take order by p.k) from p),
          (select bool_or(r.want > coalesce((select sum(p.take) from p where p.i = r.i), 0)) from r)
        into n_count, l_sku, l_loc, l_batch, k_i, k_loc, k_batch, k_exp, k_qty, v_short;

        exit when n_count = 0 or not v_short or v_round >= 3;
        v_round := v_round + 1;
      end loop;

      if k_i is null then return; end if;

      with p as (
        select * from unnest(k_i, k_loc, k_batch, k_exp, k_qty) as p(i, location_id, batch, expiry_date, quantity)),
      m as (
        insert into stock_movements (idempotency_key, source, reason, sku_id, batch, expiry_date, location_id, d_on_hand, d_reserved, d_in_transit, occurred_at, applied, reference)
        select p_keys[p.i] || ':' || p.location_id::text || ':' || p.batch, 'cradle-orders', 'reservation', p_skus[p.i], p.batch, p.expiry_date, p.location_id, 0, p.quantity, 0, p_at, true, p_reference
        from p
        on conflict (idempotency_key) do nothing
        returning 1),
      b as (
        update stock_balances s set reserved = s.reserved + p.quantity, updated_at = now()
        from p
        where s.sku_id = p_skus[p.i] and s.location_id = p.location_id and s.batch = p.batch and s.reserved + p.quantity <= s.on_hand
        returning 1)
      select (select count(*) from m), (select count(*) from b) into v_moved, v_balances;
      if v_moved <> cardinality(k_i) then
        raise exception 'a reservation key of % was already applied', p_keys using errcode = 'CRS01';
      end if;
      if v_balances <> cardinality(k_i) then
        raise exception 'the reservation would reserve more than is on hand' using errcode = 'CRS02';
      end if;

      return query
        select p.i, p.location_id, p.batch, p.expiry_date, p.quantity, p_keys[p.i] || ':' || p.location_id::text || ':' || p.batch
        from unnest(k_i, k_loc, k_batch, k_exp, k_qty) with ordinality as p(i, location_id, batch, expiry_date, quantity, n)
        order by p.n;
    end
    $fn$;

    alter function order_buyer_snapshot(parties) stable;

    alter table order_allocations
      drop constraint order_allocations_order_id_fkey,
      drop constraint order_allocations_sku_id_fkey,
      drop constraint order_allocations_location_id_fkey,
      add constraint order_allocations_line_fkey foreign key (order_id, line_no) references order_lines (order_id, line_no);
  `.execute(db);
}
