-- GET with the bearer token in MB_TOKEN.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("MB_TOKEN")
