"""``normalize serve``: an HTTP endpoint for log drains (Heroku's Logplex among them), a thin shell
over the engine: each request body is framed, normalized and committed to a lake before it is
acknowledged."""
