{#-
    The `order by` list of the deterministic customer sample: smallest md5 of the key (as
    text) first, ties by the key. The same customers for the same data on every run and on
    every engine with `md5`, and a customer stays in the sample until new customers with
    smaller hashes push it out. Not random. `custseg.dbt_io.SAMPLE_ORDER` is the same rule
    for the clustering fit's sample (read by the registry before any SQL sample exists).
-#}
{% macro customer_sample_order(key) -%}
    md5(cast({{ key }} as {{ dbt.type_string() }})), {{ key }}
{%- endmacro %}
