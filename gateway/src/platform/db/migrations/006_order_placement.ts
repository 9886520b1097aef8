import { type Kysely, sql } from 'kysely';

/**
 * Placing an order in one statement: under load, a placement that went back and forth between Node and the database
 * (credit lock, reservation plan, reservation writes, order writes, commit) held its locks and its connection across
 * every round trip ("idle in transaction"). Two functions, each owned by its area:
 *
 * - `stock_reserve_first_expiry_first` (stock, called by `stock/reservations.ts`): atomic first-expiry-first-out
 *   reservations of several SKUs from locations in preference order, inside the caller's transaction.
 * - `order_place` (ordering, called by `orders/service.ts`): the buyer's credit account locked and checked, the
 *   reservations (through the stock function), and the order with its lines, allocations, history and exposure.
 *
 * Errors the callers map to their domain errors (SQLSTATE): CRS01 a reservation key was applied before, CRS02 a
 * reservation would exceed what is on hand, CRO01 another request placed an order under the same key first.
 * docs/ordering.md has the lock order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Reserves, for each request i, up to p_quantities[i] units of SKU p_skus[i] from p_locations (in that order of
    -- preference), oldest expiry first, never a batch expiring before p_not_before[i]; returns the picks in that order.
    -- One request per SKU. Each location's freshness rows are held for key share (a snapshot reconciliation, which
    -- takes them for update, waits for the reservation to commit; reservations do not wait for each other). Picks are
    -- planned on the unlocked figures, only the planned balance rows are locked (in key order, so two reservations
    -- never deadlock on their first locks), and the picks are made on the locked figures; rows that fell short bring in
    -- the next candidates, up to three more rounds (those can meet another transaction's locks out of order: a deadlock
    -- fails the transaction, never a count). Generic plans: the statements are the same every call, and planning
    -- them again per call cost more than running them.
    create function stock_reserve_first_expiry_first(
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
          from stock_balances b join r on r.sku_id = b.sku_id and (r.not_before is null or b.expiry_date is null or b.expiry_date >= r.not_before)
          where b.sku_id = any(p_skus) and b.location_id = any(p_locations) and b.on_hand > b.reserved),
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

    -- What ordering reads of a buyer to price and check an order (orders/references.ts, OrderParty): order_place
    -- compares it with what the caller read, so the caller may hold buyers in memory and a change still bites at once.
    create function order_buyer_snapshot(p parties) returns jsonb language sql immutable as $fn$
      select jsonb_build_object('kind', p.kind, 'tier', p.tier, 'parent_id', p.parent_id, 'region_code', p.region_code, 'status', p.status, 'lat', p.lat, 'lng', p.lng,
        'credit_limit_cny', case when jsonb_typeof(p.attributes->'credit_limit_cny') = 'number' then p.attributes->'credit_limit_cny' else 'null' end)
    $fn$;

    -- Places an order: p_order the priced order (id, buyer_id, seller_id, price_level, price_region_code, priced_on,
    -- price_rules_from, idempotency_key, request_hash, delivery_region_code, delivery_address, total, note, actor, at,
    -- placed_detail, buyer: the buyer as priced, order_buyer_snapshot's shape), p_lines its lines (line_no, sku_id, gtin, quantity, free_quantity, unit_price, line_total,
    -- promotion_code, not_expiring_before), p_submission null for a draft, else what the checks need
    -- (credit_limit_attribute, erp_unpaid (null: the account's figure), region_hold (null: inside the authorised
    -- region), locations (the stock's sources in preference order)).
    -- Submitted: the buyer's credit account is locked first (two orders of one buyer are checked one after the other),
    -- then the order is held (credit, region) or approved, counted in the exposure and allocated. The answer: either
    -- {existing: {id, request_hash}} (an order under the key exists: nothing written), {stale_buyer: true} (the buyer
    -- is no longer as priced, or not active: nothing written), or the order's number, state, hold reasons and detail,
    -- units allocated per line and its history's ids and transitions.
    create function order_place(p_order jsonb, p_lines jsonb, p_submission jsonb) returns jsonb
    language plpgsql set plan_cache_mode = force_generic_plan as $fn$
    #variable_conflict use_column
    declare
      o record;
      s record;
      a record;
      v_state text := 'draft';
      v_reasons text[] := '{}';
      v_detail jsonb;
      v_unpaid numeric;
      v_exposure numeric;
      v_available numeric;
      v_wanted int;
      v_reserved int := 0;
      v_picks jsonb := '[]';
      v_allocated jsonb := '{}';
      e_from text[];
      e_to text[];
      e_actor text[];
      e_reason text[];
      e_detail jsonb[];
      v_done jsonb;
    begin
      select * into o from jsonb_to_record(p_order) as x(
        id uuid, buyer_id uuid, seller_id uuid, price_level text, price_region_code text, priced_on date, price_rules_from date,
        idempotency_key text, request_hash text, delivery_region_code text, delivery_address text, total numeric, note text,
        actor text, at timestamptz, placed_detail jsonb, buyer jsonb);
      e_from := array[null]; e_to := array['draft']; e_actor := array[o.actor]; e_reason := array['placed']; e_detail := array[o.placed_detail];

      if p_submission is not null then
        select * into s from jsonb_to_record(p_submission) as x(credit_limit_attribute numeric, erp_unpaid numeric, region_hold jsonb, locations uuid[]);
        -- The account row stays locked to the end: two orders of one buyer are checked one after the other. The same
        -- statement looks up the key (a racing request under it that commits meanwhile fails ours with CRO01) and
        -- the buyer.
        select c.credit_limit, c.unpaid_invoices, c.open_orders, k.id as existing_id, k.request_hash as existing_hash, b.id is not null as buyer_as_priced into a
        from credit_accounts c
        left join orders k on k.buyer_id = o.buyer_id and k.idempotency_key = o.idempotency_key
        left join parties b on b.id = c.party_id and order_buyer_snapshot(b) = o.buyer
        where c.party_id = o.buyer_id
        for update of c;
        if not found then
          -- First order of this buyer: the account is created from the master data's limit.
          insert into credit_accounts (party_id, credit_limit, updated_by) values (o.buyer_id, s.credit_limit_attribute, 'master-data') on conflict do nothing;
          select c.credit_limit, c.unpaid_invoices, c.open_orders, k.id as existing_id, k.request_hash as existing_hash, b.id is not null as buyer_as_priced into a
          from credit_accounts c
          left join orders k on k.buyer_id = o.buyer_id and k.idempotency_key = o.idempotency_key
          left join parties b on b.id = c.party_id and order_buyer_snapshot(b) = o.buyer
          where c.party_id = o.buyer_id
          for update of c;
        end if;
      else
        select k.id as existing_id, k.request_hash as existing_hash, b.id is not null as buyer_as_priced into a
        from (select 1) x
        left join orders k on k.buyer_id = o.buyer_id and k.idempotency_key = o.idempotency_key
        left join parties b on b.id = o.buyer_id and order_buyer_snapshot(b) = o.buyer;
      end if;
      if a.existing_id is not null then
        return jsonb_build_object('existing', jsonb_build_object('id', a.existing_id, 'request_hash', a.existing_hash));
      end if;
      if not a.buyer_as_priced then
        -- The caller priced and checked the order with a buyer that has changed (or is no longer active) since it read it.
        return jsonb_build_object('stale_buyer', true);
      end if;

      if p_submission is not null then
        e_from := e_from || 'draft'::text; e_to := e_to || 'submitted'::text; e_actor := e_actor || o.actor; e_reason := e_reason || null::text; e_detail := e_detail || null::jsonb;
        -- Exposure = open orders + unpaid invoices; the order fits when exposure + its total stays within the limit.
        v_unpaid := coalesce(s.erp_unpaid, a.unpaid_invoices);
        v_exposure := round(a.open_orders + v_unpaid, 2);
        v_available := round(a.credit_limit - v_exposure, 2);
        if a.credit_limit is not null and o.total > v_available then
          v_reasons := v_reasons || 'credit'::text;
          v_detail := jsonb_build_object('credit', jsonb_build_object('credit_limit', a.credit_limit, 'unpaid_invoices', v_unpaid, 'open_orders', a.open_orders,
            'exposure', v_exposure, 'order_total', o.total, 'available', v_available));
        end if;
        if s.region_hold is not null then
          v_reasons := v_reasons || 'region'::text;
          v_detail := coalesce(v_detail, '{}') || jsonb_build_object('region', s.region_hold);
        end if;
        if cardinality(v_reasons) > 0 then
          v_state := 'held';
          e_from := e_from || 'submitted'::text; e_to := e_to || 'held'::text; e_actor := e_actor || 'system'::text;
          e_reason := e_reason || ('held: ' || array_to_string(v_reasons, ', ')); e_detail := e_detail || v_detail;
        else
          v_state := 'approved';
          e_from := e_from || 'submitted'::text; e_to := e_to || 'approved'::text; e_actor := e_actor || 'system'::text;
          e_reason := e_reason || 'within credit and the authorised region'::text;
          e_detail := e_detail || jsonb_build_object('credit', jsonb_build_object('exposure', v_exposure, 'credit_limit', a.credit_limit));

          with l as (
            select l.*, row_number() over (order by l.line_no) as i
            from jsonb_to_recordset(p_lines) as l(line_no int, sku_id uuid, quantity int, free_quantity int, not_expiring_before date)),
          q as (
            select array_agg('order:' || o.id::text || ':' || l.line_no || ':0' order by l.i) as keys, array_agg(l.sku_id order by l.i) as skus,
              array_agg(l.quantity + l.free_quantity order by l.i) as wants, array_agg(l.not_expiring_before order by l.i) as not_before, sum(l.quantity + l.free_quantity)::int as wanted
            from l),
          r as (
            select r.* from q, stock_reserve_first_expiry_first(q.keys, q.skus, q.wants, q.not_before, s.locations, 'order:' || o.id::text, o.at)
              with ordinality as r(i, location_id, batch, expiry_date, quantity, movement_key, n)),
          lr as (
            select r.*, l.line_no, l.sku_id from r join l on l.i = r.i)
          select
            coalesce((select jsonb_agg(jsonb_build_object('line_no', lr.line_no, 'sku_id', lr.sku_id, 'location_id', lr.location_id, 'batch', lr.batch,
              'expiry_date', lr.expiry_date, 'quantity', lr.quantity, 'reservation_key', lr.movement_key) order by lr.n) from lr), '[]'),
            coalesce((select jsonb_object_agg(t.line_no, t.n) from (select lr.line_no, sum(lr.quantity) as n from lr group by lr.line_no) t), '{}'),
            coalesce((select sum(lr.quantity) from lr), 0),
            (select wanted from q)
          into v_picks, v_allocated, v_reserved, v_wanted;
          if v_reserved > 0 then
            v_state := 'allocated';
            e_from := e_from || 'approved'::text; e_to := e_to || 'allocated'::text; e_actor := e_actor || 'system'::text;
            e_reason := e_reason || (case when v_wanted > v_reserved then 'partly allocated: ' || (v_wanted - v_reserved) || ' units back-ordered' else 'allocated' end);
            e_detail := e_detail || jsonb_build_object('reserved', v_reserved, 'back_ordered', v_wanted - v_reserved,
              'picks', (select jsonb_agg(p - 'sku_id' - 'reservation_key') from jsonb_array_elements(v_picks) p));
          end if;
        end if;
      end if;

      -- The order row claims the idempotency key; nothing else is written unless it does.
      with od as (
        insert into orders (id, buyer_id, seller_id, price_level, price_region_code, priced_on, price_rules_from, idempotency_key, request_hash, state, hold_reasons, hold_detail,
          delivery_region_code, delivery_address, total, exposure, note, created_by, created_at, updated_at)
        values (o.id, o.buyer_id, o.seller_id, o.price_level, o.price_region_code, o.priced_on, o.price_rules_from, o.idempotency_key, o.request_hash, v_state, v_reasons, v_detail,
          o.delivery_region_code, o.delivery_address, o.total, case when v_state in ('approved', 'allocated') then o.total else 0 end, o.note, o.actor, o.at, o.at)
        on conflict (buyer_id, idempotency_key) do nothing
        returning id, number),
      ln as (
        insert into order_lines (order_id, line_no, sku_id, gtin, quantity, free_quantity, unit_price, line_total, promotion_code, allocated)
        select od.id, l.line_no, l.sku_id, l.gtin, l.quantity, l.free_quantity, l.unit_price, l.line_total, l.promotion_code, coalesce((v_allocated->>(l.line_no::text))::int, 0)
        from od, jsonb_to_recordset(p_lines) as l(line_no int, sku_id uuid, gtin text, quantity int, free_quantity int, unit_price numeric, line_total numeric, promotion_code text)),
      al as (
        insert into order_allocations (order_id, line_no, sku_id, location_id, batch, expiry_date, quantity, reservation_key)
        select od.id, p.line_no, p.sku_id, p.location_id, p.batch, p.expiry_date, p.quantity, p.reservation_key
        from od, jsonb_to_recordset(v_picks) as p(line_no int, sku_id uuid, location_id uuid, batch text, expiry_date date, quantity int, reservation_key text)),
      cr as (
        update credit_accounts set open_orders = open_orders + o.total
        where party_id = o.buyer_id and v_state in ('approved', 'allocated') and exists (select 1 from od)),
      ev as (
        insert into order_events (order_id, from_state, to_state, actor, at, reason, detail)
        select od.id, v.f, v.t, v.a, o.at, v.r, v.d
        from od, unnest(e_from, e_to, e_actor, e_reason, e_detail) with ordinality as v(f, t, a, r, d, i)
        order by v.i
        returning id, from_state, to_state)
      select jsonb_build_object('number', od.number, 'state', v_state, 'hold_reasons', to_jsonb(v_reasons), 'hold_detail', v_detail, 'allocated', v_allocated,
          'events', (select jsonb_agg(jsonb_build_object('id', ev.id, 'from_state', ev.from_state, 'to_state', ev.to_state) order by ev.id) from ev))
      into v_done
      from od;
      if v_done is null then
        -- Rolls back this statement (reservations included); the caller answers the order placed first.
        raise exception 'an order under idempotency key % was placed first', o.idempotency_key using errcode = 'CRO01';
      end if;
      return v_done;
    end
    $fn$;
  `.execute(db);
}
