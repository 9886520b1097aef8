import { type Kysely, sql } from 'kysely';

/**
 * Makes every delete from `table` fail with `message` (errcode restrict_violation), through a trigger function named
 * `<table>_refuse_delete`. For tables whose rows others refer to without a per-row foreign-key check (migrations 013
 * and 014): no row can go, so no reference can dangle. `table` and `message` are the migrations' own constants.
 */
export async function refuseDeletes(db: Kysely<unknown>, table: string, message: string): Promise<void> {
  const fn = sql.id(`${table}_refuse_delete`);
  await sql`
    create or replace function ${fn}() returns trigger language plpgsql as $$
    begin
      raise exception ${sql.raw(`'${message.replace(/'/g, "''")}'`)} using errcode = 'restrict_violation';
    end $$`.execute(db);
  await sql`drop trigger if exists ${fn} on ${sql.table(table)}`.execute(db);
  await sql`create trigger ${fn} before delete on ${sql.table(table)} for each row execute function ${fn}()`.execute(db);
}
