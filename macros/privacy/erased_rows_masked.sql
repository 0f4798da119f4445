{#-
    A select over the raw rows of `relation` (a CTE of `read_raw_table`) in which the rows of
    customers on the erasure list (seed `erasure_requests`, read by the model into the CTE
    `requests`) keep only their lineage (`_source_file`, `_source_row_number`, `_read_error`) and the flag
    `_is_erased`: every raw column in `raw_columns` is null. The row keeps its place, so row
    conservation holds (it is rejected as `erased`), but no value of it reaches any relation,
    report or file. The list holds SHA-256 digests of customer ids, matched after trimming.
-#}
{% macro erased_rows_masked(relation, requests, raw_columns, customer_id_column='customer_id') -%}
    select
        {{ relation }}._source_file,
        {{ relation }}._source_row_number,
        {{ relation }}._read_error,
        {%- for column in raw_columns %}
        case when erased_keys.customer_id_sha256 is null then {{ relation }}.{{ column }} end
            as {{ column }},
        {%- endfor %}
        erased_keys.customer_id_sha256 is not null as _is_erased
    from {{ relation }}
    left join (
        select distinct customer_id_sha256 from {{ requests }}
    ) as erased_keys
        on {{ sha256_hex('trim(' ~ relation ~ '.' ~ customer_id_column ~ ')') }}
        = erased_keys.customer_id_sha256
{%- endmacro %}
