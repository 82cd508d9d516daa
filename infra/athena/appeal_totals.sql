-- Appeal totals by day from the newest export: online payments, refunds, what disputes
-- hold, offline gifts. Plans' invoices (plan_id) are no appeal's money; voided offline
-- gifts (staff offline void) are no money either.
WITH latest AS (SELECT max(day) AS day FROM ${Database}.items WHERE item IS NOT NULL AND day >= date_format(current_date - interval '7' day, '%Y-%m-%d')),
money AS (
  SELECT item['campaign'].s AS campaign,
         substr(item['paid_at'].s, 1, 10) AS day,
         CAST(item['amount_cents'].n AS bigint) AS online_cents,
         CAST(coalesce(item['refunded_cents'].n, '0') AS bigint) AS refunded_cents,
         CAST(coalesce(item['disputed_cents'].n, '0') AS bigint) AS disputed_cents,
         0 AS offline_cents
  FROM ${Database}.items, latest
  WHERE items.day = latest.day AND item['type'].s = 'payment' AND item['plan_id'].s IS NULL
  UNION ALL
  SELECT item['campaign'].s, item['received_on'].s, 0, 0, 0, CAST(item['amount_cents'].n AS bigint)
  FROM ${Database}.items, latest
  WHERE items.day = latest.day AND item['type'].s = 'offline_gift' AND coalesce(item['voided'].bool, false) = false
)
SELECT campaign, day, sum(online_cents) AS online_cents, sum(offline_cents) AS offline_cents,
       sum(refunded_cents) AS refunded_cents, sum(disputed_cents) AS disputed_cents,
       sum(online_cents + offline_cents - refunded_cents - disputed_cents) AS net_cents
FROM money GROUP BY campaign, day ORDER BY campaign, day;
