{#-
    The date from which the rows of a raw file are known (the point-in-time `valid_from_date`
    of their versions), read from the file's name; never from its modification time, which
    changes with every copy. The date must end the file's base name (before its extension):
    - `<name>YYYY-MM-DD.<ext>` (a daily drop, e.g. `shop_orders/2026-04-01.csv` or
      `orders_2026-04-01.csv`): the state at the start of that day, known from that date;
    - `<name>YYYY-MM.<ext>` (a monthly drop, e.g. `shop_orders/2026-03.csv`): the month's
      rows as they were when the month ended, known from the first day of the next month;
    - any other name (`support_tickets.csv`, `part-00000.parquet`): null, known since
      forever (the file is not point-in-time).
    A build with as-of date D uses the versions known on D: `valid_from_date <= D`.
    Character classes, not `\d`: Spark's string literals would eat the backslash.
-#}
{% macro drop_known_date(source_file) -%}
    {%- set drop_date = "regexp_extract(" ~ source_file
        ~ ", '([0-9]{4}-[0-9]{2}(-[0-9]{2})?)[.][^/]*$', 1)" -%}
    case
        when length({{ drop_date }}) = 10
            then {{ dbt.safe_cast(drop_date, 'date') }}
        when length({{ drop_date }}) = 7
            then cast({{ dbt.dateadd(
                'month', 1, dbt.safe_cast(dbt.concat([drop_date, "'-01'"]), 'date')
            ) }} as date)
    end
{%- endmacro %}
