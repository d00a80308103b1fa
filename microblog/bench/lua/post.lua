-- POST /api/v1/statuses as the author whose token is in MB_TOKEN.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("MB_TOKEN")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "status=a+benchmark+post"
