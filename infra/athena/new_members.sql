-- Members who signed up in the last 7 days, from the newest export.
WITH latest AS (SELECT max(day) AS day FROM ${Database}.items WHERE item IS NOT NULL AND day >= date_format(current_date - interval '7' day, '%Y-%m-%d'))
SELECT item['created_at'].s AS created_at, item['branch'].s AS branch, item['status'].s AS status,
       item['first_name'].s AS first_name, item['last_name'].s AS last_name, item['email'].s AS email
FROM ${Database}.items, latest
WHERE items.day = latest.day AND item['type'].s = 'member'
  AND item['created_at'].s >= date_format(current_date - interval '7' day, '%Y-%m-%d')
ORDER BY created_at;
