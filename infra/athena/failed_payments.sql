-- Failed payments of the last 30 days, from the emails they caused.
WITH latest AS (SELECT max(day) AS day FROM ${Database}.items WHERE item IS NOT NULL AND day >= date_format(current_date - interval '7' day, '%Y-%m-%d'))
SELECT item['created_at'].s AS at, item['template'].s AS kind, item['to'].s AS email,
       coalesce(item['data'].m['campaign_title'].s, item['data'].m['plan_name'].s) AS what,
       item['data'].m['amount_cents'].s AS amount_cents
FROM ${Database}.items, latest
WHERE items.day = latest.day AND item['type'].s = 'email'
  AND item['template'].s IN ('donation_failed', 'donation_payment_failed', 'plan_payment_failed')
  AND item['created_at'].s >= date_format(current_date - interval '30' day, '%Y-%m-%d')
ORDER BY at;
