{#-
    Nothing is lost: the rows of a validation model (`model`, one row per raw row read)
    must equal the rows staged in `staged_model` plus the rows of `rejected_model` whose
    source_table is `source_table`. Fails with one row showing the three counts.
-#}
{% test rows_conserved(model, staged_model, rejected_model, source_table) %}

with

raw_rows as (
    select count(*) as row_count from {{ model }}
),

staged_rows as (
    select count(*) as row_count from {{ staged_model }}
),

rejected_rows as (
    select count(*) as row_count from {{ rejected_model }}
    where source_table = '{{ source_table }}'
)

select
    raw_rows.row_count as raw_row_count,
    staged_rows.row_count as staged_row_count,
    rejected_rows.row_count as rejected_row_count
from raw_rows
cross join staged_rows
cross join rejected_rows
where raw_rows.row_count <> staged_rows.row_count + rejected_rows.row_count
{% endtest %}
