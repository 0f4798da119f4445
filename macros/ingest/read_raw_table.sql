{#-
    A select over every raw row of one source table, as text, plus where it came from:
    `_source_file` (path relative to the raw folder) and `_source_row_number` (1-based row
    within that file). Contract columns missing from a file are null when the contract
    marks them optional; a missing required column stops the build with the table, file
    and column named. An optional table with no files is an empty relation.

    Dispatched: on DuckDB the raw exports are files under env RAW_DATA_DIR; on a warehouse
    (`default__`) they are loaded tables, read through the source relation.
-#}
{% macro read_raw_table(source_relation) -%}
    {{ return(adapter.dispatch('read_raw_table', 'customer_segments')(source_relation)) }}
{%- endmacro %}


{% macro default__read_raw_table(source_relation) -%}
    {%- set contract = raw_table_contract(source_relation) -%}
    select
        {{ dbt.string_literal(source_relation.identifier) }} as _source_file,
        row_number() over (order by {{ contract.columns[0].name }}) as _source_row_number,
        {%- for column in contract.columns %}
        {{ dbt.cast(column.name, api.Column.translate_type('string')) }} as {{ column.name }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ source_relation }}
{%- endmacro %}


{% macro duckdb__read_raw_table(source_relation) -%}
    {%- if not execute -%}
        {{ return('select 1 as _source_file') }}
    {%- endif -%}
    {%- set contract = raw_table_contract(source_relation) -%}
    {%- set raw_dir = env_var('RAW_DATA_DIR', 'data/sample') -%}
    {%- set files = list_raw_files(raw_dir, contract.name) -%}

    {%- if files | length == 0 -%}
        {%- if contract.is_required_table -%}
            {{ exceptions.raise_compiler_error(
                "Required raw table '" ~ contract.name ~ "' not found in RAW_DATA_DIR='" ~ raw_dir
                ~ "': expected " ~ contract.name ~ ".csv, " ~ contract.name ~ ".parquet or a folder "
                ~ contract.name ~ "/ of such files."
            ) }}
        {%- endif -%}
        {{ return(empty_raw_table(contract)) }}
    {%- endif -%}

    {%- set selects = [] -%}
    {%- for file in files -%}
        {%- set quoted_path = file.path | replace("'", "''") -%}
        {%- if file.format == 'parquet' -%}
            {%- set reader = "read_parquet('" ~ quoted_path ~ "')" -%}
        {%- else -%}
            {%- set reader = "read_csv('" ~ quoted_path ~ "', header = true, all_varchar = true)" -%}
        {%- endif -%}
        {#- Match header names case-insensitively; extra columns are ignored. -#}
        {%- set described = run_query('describe select * from ' ~ reader) -%}
        {%- set present = {} -%}
        {%- for row in described.rows -%}
            {%- do present.update({(row[0] | trim | lower): row[0]}) -%}
        {%- endfor -%}
        {%- set expressions = [] -%}
        {%- for column in contract.columns -%}
            {%- if column.name in present -%}
                {%- do expressions.append(
                    'cast("' ~ present[column.name] ~ '" as varchar) as ' ~ column.name
                ) -%}
            {%- elif column.is_optional -%}
                {%- do expressions.append('cast(null as varchar) as ' ~ column.name) -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ contract.name ~ "', file '" ~ file.path
                    ~ "': required column '" ~ column.name ~ "' is missing. Columns found: "
                    ~ (present.keys() | list | sort | join(', ')) ~ "."
                ) }}
            {%- endif -%}
        {%- endfor -%}
        {%- do selects.append(
            "select '" ~ (file.relative_path | replace("'", "''")) ~ "' as _source_file, "
            ~ "row_number() over () as _source_row_number, "
            ~ expressions | join(', ')
            ~ ' from ' ~ reader
        ) -%}
    {%- endfor -%}
    {#- row_number() over () streams in file order on DuckDB, so it is the row within the file. -#}
    {{ selects | join('\nunion all\n') }}
{%- endmacro %}
