{#-
    A select over every raw row of one source table, as text, plus where it came from:
    `_source_file` (path relative to the raw folder) and `_source_row_number` (1-based row
    within that file). Contract columns missing from a file are null when the contract
    marks them optional; a missing required column stops the build with the table, file
    and column named. An optional table with no files is an empty relation.

    Dispatched: on DuckDB and Spark the raw exports are files under env RAW_DATA_DIR; on a
    warehouse (`default__`) they are loaded tables, read through the source relation.
-#}
{% macro read_raw_table(source_relation) -%}
    {#- In a dbt unit test the source is the test's fixture, which already holds
        `_source_file`, `_source_row_number` and the raw columns as text: read it as it is,
        so that the validation steps (reject reasons) can be unit tested. -#}
    {%- if model is mapping and model.get('resource_type') == 'unit_test' -%}
        {{ return('select * from ' ~ source_relation) }}
    {%- endif -%}
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
    {%- set files = list_raw_table_files(contract) -%}
    {%- if files | length == 0 -%}
        {{ return(empty_raw_table(contract)) }}
    {%- endif -%}

    {%- set selects = [] -%}
    {%- for file in files -%}
        {%- set quoted_path = file.path | replace("'", "''") -%}
        {%- if file.format == 'parquet' -%}
            {%- set reader = "read_parquet('" ~ quoted_path ~ "', file_row_number = true)" -%}
            {%- set row_number = 'file_row_number + 1' -%}
        {%- else -%}
            {%- set reader = "read_csv('" ~ quoted_path ~ "', header = true, all_varchar = true)" -%}
            {#- row_number() over () streams in file order on DuckDB, so it is the row within
                the file; Parquet gives it directly, which needs no window over the file. -#}
            {%- set row_number = 'row_number() over ()' -%}
        {%- endif -%}
        {%- set present = raw_file_columns('describe select * from ' ~ reader) -%}
        {%- set required = contract.columns | rejectattr('is_optional') | map(attribute='name') -%}
        {%- if file.format == 'csv' and present | length == 1 and required | reject('in', present) | list -%}
            {#- The sniffer found one column: usually rows with more or fewer fields than the
                header. Say which rows, not just that a column is missing. -#}
            {{ raise_ragged_csv_error(contract.name, file.path, quoted_path) }}
        {%- endif -%}
        {%- do selects.append(
            "select '" ~ (file.relative_path | replace("'", "''")) ~ "' as _source_file, "
            ~ row_number ~ " as _source_row_number, "
            ~ raw_column_expressions(contract, file, present) | join(', ')
            ~ ' from ' ~ reader
        ) -%}
    {%- endfor -%}
    {{ selects | join('\nunion all\n') }}
{%- endmacro %}


{#-
    Spark reads each file on its own: a CSV through a temporary view with `multiLine` (quoted
    line breaks stay inside their field, and the file is not split, so it is one partition and
    `monotonically_increasing_id()` counts its records from 0) and RFC 4180 quotes (`""`
    inside a quoted field); a Parquet file by path, with Spark's `_metadata.row_index`. Every
    column is read as text. The same files, order, headers and errors as on DuckDB, and the
    same values: an unquoted empty field is null and a quoted one (`""`) is '' (Spark's
    default reads both as null; `nullValue` is set to a NUL character so that only unquoted
    empties are null). A UTF-8 BOM and CRLF line ends are read as DuckDB reads them, gzip too.
    A row with more or fewer fields than the header fails the build (`FAILFAST`, where
    Spark's default would silently drop or pad fields): Spark's message names the file and
    the record, not the line numbers DuckDB's check lists.
-#}
{% macro spark__read_raw_table(source_relation) -%}
    {%- if not execute -%}
        {{ return('select 1 as _source_file') }}
    {%- endif -%}
    {%- set contract = raw_table_contract(source_relation) -%}
    {%- set files = list_raw_table_files(contract) -%}
    {%- if files | length == 0 -%}
        {{ return(empty_raw_table(contract)) }}
    {%- endif -%}

    {%- set selects = [] -%}
    {%- for file in files -%}
        {%- set quoted_path = file.path | replace('\\', '\\\\') | replace("'", "\\'") -%}
        {%- if file.format == 'parquet' -%}
            {%- set reader = 'parquet.`' ~ file.path | replace('`', '``') ~ '`' -%}
            {%- set row_number = '_metadata.row_index + 1' -%}
        {%- else -%}
            {%- set reader = '__raw_' ~ contract.name ~ '_' ~ loop.index -%}
            {%- do run_query(
                'create or replace temporary view ' ~ reader ~ " using csv options (path '"
                ~ quoted_path ~ "', header 'true', multiLine 'true', quote '\"', escape '\"', "
                ~ "nullValue '\\u0000', inferSchema 'false', mode 'FAILFAST')"
            ) -%}
            {%- set row_number = 'monotonically_increasing_id() + 1' -%}
        {%- endif -%}
        {%- do selects.append(
            "select '" ~ (file.relative_path | replace("'", "\\'")) ~ "' as _source_file, "
            ~ 'cast(' ~ row_number ~ ' as bigint) as _source_row_number, '
            ~ raw_column_expressions(
                contract, file, raw_file_columns('describe query select * from ' ~ reader)
            ) | join(', ')
            ~ ' from ' ~ reader
        ) -%}
    {%- endfor -%}
    {{ selects | join('\nunion all\n') }}
{%- endmacro %}


{#-
    Raised when DuckDB's CSV sniffer reads a file's header as one column. Reads the file again
    with `null_padding` (short rows padded, extra fields in extra columns) and names the first
    lines that have more fields than the header; when there are none, the file probably has
    rows with fewer fields, or a delimiter other than the header's.
-#}
{% macro raise_ragged_csv_error(table_name, path, quoted_path) -%}
    {%- set reader = "read_csv('" ~ quoted_path ~ "', header = true, all_varchar = true, null_padding = true)" -%}
    {%- set columns = run_query('describe select * from ' ~ reader).columns[0].values() -%}
    {%- set message = "Raw table '" ~ table_name ~ "', file '" ~ path
        ~ "': DuckDB could not split the header into columns, because rows have a different "
        ~ "number of fields than the header" -%}
    {%- set extra = [] -%}
    {%- for name in columns -%}
        {%- if modules.re.match('^column[0-9]+$', name) -%}{%- do extra.append('"' ~ name ~ '"') -%}{%- endif -%}
    {%- endfor -%}
    {%- if extra | length > 0 and extra | length < columns | length -%}
        {%- set lines = run_query(
            'select line_number from (select row_number() over () + 1 as line_number, '
            ~ extra | join(', ') ~ ' from ' ~ reader ~ ') where '
            ~ extra | join(' is not null or ') ~ ' is not null order by line_number limit 5'
        ).columns[0].values() -%}
        {%- set message = message ~ " (" ~ (columns | length - extra | length) ~ " columns). Lines with more fields: "
            ~ (lines | join(', ')) ~ " (line 1 is the header)" -%}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        message ~ ". Fix or remove those rows, or quote fields that contain the delimiter."
    ) }}
{%- endmacro %}
