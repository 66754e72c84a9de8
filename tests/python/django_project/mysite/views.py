from django.http import HttpResponse, JsonResponse, StreamingHttpResponse


def index(request):
    return HttpResponse("Hello from Django\n", content_type="text/plain")


def form(request):
    if request.method != "POST":
        return HttpResponse("POST only\n", status=405, content_type="text/plain")
    fields = ", ".join("%s=%s" % (key, value) for key, value in sorted(request.POST.items()))
    return HttpResponse("got " + fields + "\n", content_type="text/plain")


def json(request):
    return JsonResponse({"numbers": [1, 2, 3], "path": request.path, "query": request.GET.get("q")})


def stream(request):
    return StreamingHttpResponse(("line %d\n" % number for number in range(1, 6)), content_type="text/plain")
