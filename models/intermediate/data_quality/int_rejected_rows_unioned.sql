{#-
    Every rejected raw row of every source table, with its raw values in full and masked.
    Only the CRM and the suppression list hold personal data; the other tables' values are
    the same in both columns.
-#}

{%- set validated_tables = validated_source_tables() %}

with

unioned as (
    {% for source_table, model_name in validated_tables -%}
        select
            '{{ source_table }}' as source_table,
            source_file,
            source_row_number,
            reject_reason,
            raw_values,
            {% if source_table in ('crm_customers', 'suppression_list') -%}
                raw_values_masked
            {%- else -%}
                raw_values as raw_values_masked
            {%- endif %}
        from {{ ref(model_name) }}
        where reject_reason is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        {{ dbt.concat([
            'source_table', "'|'", 'source_file', "':'",
            dbt.cast('source_row_number', dbt.type_string()),
        ]) }} as rejected_row_id,
        source_table,
        {{ dbt.concat(['source_file', "':'", dbt.cast('source_row_number', dbt.type_string())]) }}
            as raw_row_key,
        source_file,
        source_row_number,
        reject_reason as reason,
        raw_values,
        raw_values_masked
    from unioned
)

select * from final
