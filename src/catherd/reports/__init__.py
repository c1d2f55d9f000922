"""Reports: jinja2 templates and vega-lite charts rendered to HTML, Markdown and SVG."""
