-- The nightly exports as one Athena table, a partition per day (partition projection:
-- nothing to load). Each row is one item in DynamoDB JSON; manifest files under the same
-- prefix have no "Item" and read as NULL rows, which the queries skip.
-- ${ExportsBucket} is the exports bucket and ${Database} the stack's database (the
-- template substitutes them).
CREATE EXTERNAL TABLE IF NOT EXISTS ${Database}.items (
  item map<string, struct<
    s: string, n: string, bool: boolean,
    m: map<string, struct<s: string, n: string, bool: boolean>>,
    ss: array<string>
  >>
)
PARTITIONED BY (day string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'case.insensitive' = 'true')
LOCATION 's3://${ExportsBucket}/exports/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy-MM-dd',
  'projection.day.range' = '2024-01-01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://${ExportsBucket}/exports/${day}/'
);
