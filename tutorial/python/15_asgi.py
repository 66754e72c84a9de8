"""Chapter 15: an ASGI application, called the way an ASGI server calls it."""
import asyncio


# ANCHOR: app
async def app(scope, receive, send):
    assert scope['type'] == 'http'
    body = b''
    while True:  # the request body arrives as events, maybe several
        event = await receive()
        body += event.get('body', b'')
        if not event.get('more_body'):
            break
    await send({
        'type': 'http.response.start',
        'status': 200,
        'headers': [(b'content-type', b'text/plain; charset=utf-8')],
    })
    await send({'type': 'http.response.body', 'body': b'You sent ' + body + b'\n'})
# ANCHOR_END: app


# ANCHOR: server
async def serve_one():
    scope = {
        'type': 'http', 'asgi': {'version': '3.0'}, 'http_version': '1.1',
        'method': 'POST', 'path': '/hello', 'query_string': b'name=ferris',
        'headers': [(b'host', b'127.0.0.1:8000'), (b'content-length', b'3')],
    }
    events = [
        {'type': 'http.request', 'body': b'h', 'more_body': True},
        {'type': 'http.request', 'body': b'i!', 'more_body': False},
    ]

    async def receive():
        return events.pop(0)

    async def send(event):
        print('the application sent', event)

    await app(scope, receive, send)


if __name__ == '__main__':
    asyncio.run(serve_one())
# ANCHOR_END: server
