{#-
    The features the segmentation clusters on, in order, as a list of
    `{name, transform}` (transform `log1p` or `none`). Var `segment_features` overrides the
    default: a mapping `feature: transform` (or a list of names, all with transform `none`),
    every feature a numeric column of dim_customers. Docs block `segment_features`.
-#}
{% macro segment_features() %}
    {%- set default_features = {
        'order_count': 'log1p',
        'days_since_last_order': 'log1p',
        'tenure_days': 'log1p',
        'avg_order_value': 'log1p',
        'discount_share_of_orders': 'none',
        'return_rate': 'none',
        'share_orders_app': 'none',
        'share_orders_marketplace': 'none',
        'web_session_count': 'log1p',
        'abandoned_cart_count': 'log1p',
        'ticket_count': 'log1p',
        'open_rate': 'none',
    } %}
    {%- set configured = var('segment_features') or default_features %}
    {%- if configured is mapping %}
        {%- set pairs = configured.items() | list %}
    {%- elif configured is string %}
        {{ exceptions.raise_compiler_error(
            "var segment_features must be a mapping feature: transform or a list of features"
        ) }}
    {%- else %}
        {%- set pairs = [] %}
        {%- for name in configured %}
            {%- do pairs.append((name, 'none')) %}
        {%- endfor %}
    {%- endif %}
    {%- set features = [] %}
    {%- for name, transform in pairs %}
        {%- set transform = transform or 'none' %}
        {%- if transform not in ['log1p', 'none'] %}
            {{ exceptions.raise_compiler_error(
                "var segment_features: transform of '" ~ name ~ "' must be log1p or none, got '"
                ~ transform ~ "'"
            ) }}
        {%- endif %}
        {%- if not modules.re.match('^[a-z_][a-z0-9_]*$', name | string)
            or name in ['customer_id', 'as_of_date'] %}
            {{ exceptions.raise_compiler_error(
                "var segment_features: '" ~ name ~ "' is not a feature column of dim_customers"
            ) }}
        {%- endif %}
        {%- do features.append({'name': name | string, 'transform': transform}) %}
    {%- endfor %}
    {{ return(features) }}
{% endmacro %}
