{#-
    A `select` of how fresh each raw table is: per table under env RAW_DATA_DIR (a top-level
    file `<table>.csv`/`.csv.gz`/`.parquet` or folder `<table>/`), its file count, bytes, and
    its newest file (relative path, modification time in UTC). Only names and file metadata
    are read, never the content.
-#}
{% macro raw_file_freshness_sql() -%}
    {%- set raw_dir = env_var('RAW_DATA_DIR', 'data/sample').rstrip('/') -%}
    {%- set pattern = (raw_dir ~ '/**') | replace("'", "''") -%}
    {%- set has_files = publication_value("select count(*) from glob('" ~ pattern ~ "')") > 0 -%}
    with

    raw_files as (
        {% if has_files -%}
            select
                filename as file_path,
                size as file_bytes,
                cast(last_modified at time zone 'UTC' as timestamp) as modified_at,
                substr(filename, {{ raw_dir | length + 2 }}) as relative_path,
            from read_blob('{{ pattern }}')
        {%- else -%}
            select
                cast(null as varchar) as file_path,
                cast(null as bigint) as file_bytes,
                cast(null as timestamp) as modified_at,
                cast(null as varchar) as relative_path,
            where false
        {%- endif %}
    ),

    table_files as (
        select
            regexp_replace(split_part(relative_path, '/', 1), '\.(csv\.gz|csv|parquet)$', '') as raw_table,
            relative_path,
            file_bytes,
            modified_at,
        from raw_files
        where regexp_matches(relative_path, '\.(csv\.gz|csv|parquet)$')
    ),

    final as (
        select
            raw_table,
            count(*) as file_count,
            sum(file_bytes) as total_bytes,
            -- ties (files written in the same second) go to the last path in name order
            arg_max(relative_path, [cast(modified_at as varchar), relative_path]) as newest_file,
            max(modified_at) as newest_file_modified_at,
        from table_files
        group by 1
    )

    select * from final order by raw_table
{%- endmacro %}
