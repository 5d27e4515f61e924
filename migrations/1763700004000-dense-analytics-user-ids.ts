import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keeps the analytics user ids dense. The first version of `analytics_events_inserted()`
 * upserted every user of every insert with `INSERT … ON CONFLICT DO NOTHING`, and an identity
 * column draws its value before the conflict is found: every event of a known user burnt an
 * id. The user-set bitmaps are as long as the highest id, so over time they spread over ever
 * more chunks (bigger, slower to read and to write) though the number of users stayed the same.
 * Now only users not already known are inserted (ids are burnt only by true races between
 * writers), and the ids already burnt are closed up: analytics_users is renumbered and the
 * user sets rebuilt from the events (what the backfill of the previous migration does).
 *
 * The rest of the function is unchanged: see 1763700003000-create-analytics-rollups.
 */
const userSetChunks = (source: string) => `
  SELECT m.day, m.site_id, m.action, u.uid >> 12, bit_or(B'1'::bit(4096) >> (u.uid & 4095))
  FROM (SELECT DISTINCT (e.occurred_at AT TIME ZONE 'UTC')::date AS day, e.site_id, a.action, e.user_id
        FROM ${source} e
        CROSS JOIN LATERAL (VALUES (''), (CASE WHEN e.action = 'login' THEN 'login' END)) AS a(action)
        WHERE e.user_id IS NOT NULL AND a.action IS NOT NULL) m
  JOIN analytics_users u ON u.user_id = m.user_id
  GROUP BY 1, 2, 3, 4`;

const trigger = (newUsers: string) => `
  CREATE OR REPLACE FUNCTION analytics_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    ${newUsers}

    INSERT INTO analytics_user_sets AS s (day, site_id, action, chunk, bits)
    ${userSetChunks('inserted_events')} ORDER BY 3, 2, 1, 4
    ON CONFLICT (action, site_id, day, chunk) DO UPDATE SET bits = s.bits | EXCLUDED.bits
    WHERE (s.bits | EXCLUDED.bits) <> s.bits;

    INSERT INTO analytics_daily_actions AS c (day, site_id, action, events)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, site_id, action, count(*)
    FROM inserted_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, site_id, action) DO UPDATE SET events = c.events + EXCLUDED.events;

    INSERT INTO analytics_daily_paths AS c (day, site_id, path, views)
    SELECT (occurred_at AT TIME ZONE 'UTC')::date, site_id, path, count(*)
    FROM inserted_events WHERE action = 'page_view' AND path IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (day, site_id, path) DO UPDATE SET views = c.views + EXCLUDED.views;
    RETURN NULL;
  END
  $fn$`;

export class DenseAnalyticsUserIds1763700004000 implements MigrationInterface {
  name = 'DenseAnalyticsUserIds1763700004000';

  async up(db: QueryRunner): Promise<void> {
    // Writers wait from here until this migration commits, so no event escapes the rebuild.
    await db.query(`LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE`);
    await db.query(
      trigger(`
    INSERT INTO analytics_users (user_id)
    SELECT DISTINCT i.user_id FROM inserted_events i
    WHERE i.user_id IS NOT NULL AND NOT EXISTS (SELECT FROM analytics_users u WHERE u.user_id = i.user_id)
    ORDER BY i.user_id
    ON CONFLICT (user_id) DO NOTHING;`),
    );
    const [{ gaps }] = await db.query(`SELECT coalesce(max(uid) + 1 - count(*), 0)::bigint AS gaps FROM analytics_users`);
    if (Number(gaps) > 0) {
      await db.query(`TRUNCATE analytics_user_sets, analytics_users RESTART IDENTITY`);
      await db.query(`
        INSERT INTO analytics_users (user_id)
        SELECT user_id FROM events WHERE user_id IS NOT NULL GROUP BY user_id ORDER BY min(occurred_at), user_id`);
      await db.query(`INSERT INTO analytics_user_sets (day, site_id, action, chunk, bits) ${userSetChunks('events')}`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      trigger(`
    INSERT INTO analytics_users (user_id)
    SELECT DISTINCT user_id FROM inserted_events WHERE user_id IS NOT NULL ORDER BY user_id
    ON CONFLICT (user_id) DO NOTHING;`),
    );
  }
}
