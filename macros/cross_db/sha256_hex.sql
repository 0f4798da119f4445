{#-
    The SHA-256 digest of a text expression as 64 lower-case hex digits, the same on every
    engine (and equal to Python's `hashlib.sha256(text.encode()).hexdigest()`).
-#}
{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'customer_segments')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    lower(sha2({{ expression }}, 256))
{%- endmacro %}

{% macro duckdb__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}
