-- Subscriptions that ended, are past due, or are not renewing and end within 30 days.
WITH latest AS (SELECT max(day) AS day FROM ${Database}.items WHERE item IS NOT NULL AND day >= date_format(current_date - interval '7' day, '%Y-%m-%d'))
SELECT item['plan'].s AS plan, item['status'].s AS status, item['paid_through'].s AS paid_through,
       item['cancel_at_period_end'].bool AS cancel_at_period_end, item['email'].s AS email
FROM ${Database}.items, latest
WHERE items.day = latest.day AND item['type'].s = 'subscription'
  AND (item['status'].s IN ('canceled', 'past_due', 'unpaid')
       OR (item['cancel_at_period_end'].bool AND item['paid_through'].s < date_format(current_date + interval '30' day, '%Y-%m-%d')))
ORDER BY paid_through;
