-- Members by branch and status, from the newest export.
WITH latest AS (SELECT max(day) AS day FROM ${Database}.items WHERE item IS NOT NULL AND day >= date_format(current_date - interval '7' day, '%Y-%m-%d'))
SELECT item['branch'].s AS branch,
       count_if(item['status'].s = 'active') AS active,
       count_if(item['status'].s = 'pending') AS pending,
       count(*) AS total
FROM ${Database}.items, latest
WHERE items.day = latest.day AND item['type'].s = 'member'
GROUP BY item['branch'].s ORDER BY branch;
