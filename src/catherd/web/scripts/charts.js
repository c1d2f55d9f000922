// Draw each chart of the page: a <figure class="chart"> carries its vega-lite specification
// in a JSON script element; vega-embed renders it as SVG.
// Bundled with its libraries by catherd.web.assets: `vegaEmbed` is in scope there.
for (const figure of document.querySelectorAll("figure.chart")) {
  const plot = figure.querySelector(".plot");
  const spec = JSON.parse(figure.querySelector("script[type='application/json']").textContent);
  const actions = { export: true, source: false, compiled: false, editor: false };
  vegaEmbed(plot, spec, { renderer: "svg", actions }).catch((error) => {
    plot.textContent = `This chart could not be drawn: ${error.message}`;
    plot.classList.add("error");
  });
}
